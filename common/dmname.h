/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A device-mapper name as /init and mkrdinit both take one: what crypttab's first field and
 * rd.luks.name= give a LUKS mapping. One rule for both programs.
 */
#ifndef RDINIT_COMMON_DMNAME_H
#define RDINIT_COMMON_DMNAME_H

/*
 * NULL if @name can name a mapping (/dev/mapper/@name, passed to cryptsetup as a name); else
 * why not, in words: empty, too long for device-mapper, '/' in it, ".", "..", "control" (the
 * device-mapper's own node), or a leading '-' (a tool would read it as an option).
 */
const char *rd_dm_name_invalid(const char *name);

#endif
