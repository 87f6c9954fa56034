/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * depmod over the staging tree: found in PATH or sbin, run as a child that dies with us,
 * and its text outputs removed after.
 */
#ifndef MKRDINIT_DEPMOD_H
#define MKRDINIT_DEPMOD_H

#include "mkerr.h"

/* depmod -b @stage @kver: the module indexes of the staged modules. */
int depmod_run(const char *stage, const char *kver, struct mk_err *err);

/*
 * depmod's inputs and its text outputs that libkmod never reads (it uses
 * the .bin indexes): dead weight in every boot's unpacking.
 */
void depmod_drop_text(const char *stage, const char *kver);

#endif
