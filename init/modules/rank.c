// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which modaliases come first: the order in which the events wing loads what devices ask
 * for, and in which coldplug replays the buses.
 */
#include <string.h>

#include "modules/modules.h"

/*
 * How likely a device leads to the root disk. An initramfs stops the moment the root is
 * found, and the real system's udev loads the rest: storage first means a virtio disk is not
 * kept waiting behind an IDE CD-ROM probe.
 */
int alias_rank(const char *a)
{
	if (!strncmp(a, "virtio:d00000002", 16) || !strncmp(a, "virtio:d00000008", 16))
		return 0; /* virtio block, virtio scsi */
	if (!strncmp(a, "pci:", 4) && strstr(a, "bc01"))
		return 0; /* PCI mass storage controllers */
	if (!strncmp(a, "pci:", 4) && strstr(a, "bc0Csc03"))
		return 1; /* USB host controllers */
	if (!strncmp(a, "virtio:", 7) || !strncmp(a, "scsi:", 5) || !strncmp(a, "usb:", 4))
		return 1;
	return 2;
}
