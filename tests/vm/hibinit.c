// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /sbin/init of the hibernation test disk: turns on the swap device named by "hibswap=" on
 * the kernel command line (the kernel hands it to init in the environment), hibernates to it, and prints what happened:
 * "RDTEST hib=start" on a fresh boot, "RDTEST hib=resumed" only when this same process came
 * back from the image (the write to /sys/power/state returns after the resume). A boot
 * that did not resume starts a fresh process, which prints "hib=start" again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/swap.h>
#include <unistd.h>

static void say(const char *what)
{
	printf("\nRDTEST %s\n", what);
	fflush(stdout);
}

int main(void)
{
	const char *swapdev = getenv("hibswap");
	int fd;

	if (!swapdev)
		swapdev = "/dev/vdb";
	printf("\nRDTEST pid=%d\n", (int)getpid());
	say("hib=start");
	if (swapon(swapdev, 0) < 0) {
		printf("RDTEST hib=swapon-failed:%s\n", strerror(errno));
		goto out;
	}
	fd = open("/sys/power/state", O_WRONLY | O_CLOEXEC);
	sync();
	if (fd < 0 || write(fd, "disk", 4) != 4) {
		printf("RDTEST hib=hibernate-failed:%s\n", strerror(errno));
		goto out;
	}
	/* only the process restored from the image gets here */
	say("hib=resumed");
out:
	say("done");
	sync();
	(void)reboot(RB_POWER_OFF);
	return 1;
}
