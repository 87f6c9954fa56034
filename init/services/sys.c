// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Thin wrappers over what PID 1 must do carefully: reboot, reap children.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "services/services.h"

/* Write @value to the sysfs or procfs file @path; 0 or -errno. */
int sys_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* without pidfd_open(2) (before Linux 5.3), how often to look whether a child is done */
#define CHILD_POLL_MS 20

/*
 * Wait at most @timeout_ms (< 0: no limit) for child @pid to end, through @pidfd (from
 * pidfd_open(2); < 0 without one: look every CHILD_POLL_MS). Returns 0 with *@status once
 * it has ended and is reaped, -ETIME while it still runs, or -errno.
 */
int sys_wait_child(pid_t pid, int pidfd, int timeout_ms, int *status)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	for (;;) {
		long long left = deadline < 0 ? -1 : deadline - mono_ms();
		pid_t p = waitpid(pid, status, WNOHANG);

		if (p == pid)
			return 0;
		if (p < 0 && errno != EINTR)
			return -errno;
		if (deadline >= 0 && left <= 0)
			return -ETIME;
		if (pidfd >= 0)
			(void)poll(&pfd, 1, (int)left);
		else
			(void)poll(NULL, 0,
				   left < 0 || left > CHILD_POLL_MS ? CHILD_POLL_MS : (int)left);
	}
}

void sys_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Reboot (@how: RB_AUTOBOOT) or power off (RB_POWER_OFF) after @seconds (0: at once). PID 1 never
 * returns from here: the reboot is done by a child, after the console has drained, and PID 1 waits
 * for the kernel to take the machine down. If that fails too, PID 1 stays, reaping.
 */
void sys_reboot_after(int seconds, int how)
{
	struct timespec ts = { .tv_sec = seconds };
	pid_t pid;

	while (seconds > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	(void)tcdrain(1);
	sync();
	pid = fork();
	if (pid == 0) {
		(void)reboot(how);
		_exit(1);
	}
	if (pid < 0)
		(void)reboot(how);
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
}
