// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's side of the uevent socket: one message received. Alone in its file so that a
 * host test can be the kernel (it defines netlink_recv() itself, and this file stays out).
 */
#include <sys/socket.h>

#include "events/events.h"

ssize_t netlink_recv(int fd, struct msghdr *msg)
{
	return recvmsg(fd, msg, 0);
}
