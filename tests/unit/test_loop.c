// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one loop (init/events/loop.c): children through pidfd, timers, file descriptors, each
 * ending in its function; a function that adds or removes sources; loop_clear() killing what
 * runs and telling every owner; the clock standing still while paused.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"
#include "clock.h"

static struct boot b;
static char order[256];

static void note(const char *what)
{
	strncat(order, what, sizeof(order) - strlen(order) - 1);
}

static void timer_fn(struct boot *bt, void *data, int arg)
{
	note(arg == LOOP_CANCELLED ? "cancelled:" : "");
	note(data);
}

static int child_status = -2;
static void child_fn(struct boot *bt, void *data, int status)
{
	child_status = status;
	note("child ");
}

static void fd_fn(struct boot *bt, void *data, int revents)
{
	int *fd = data;
	char c;

	if (revents == LOOP_CANCELLED) {
		note("fd-cancelled ");
		return;
	}
	if (read(*fd, &c, 1) == 1)
		note("fd ");
}

static int setup(void **state)
{
	memset(&b, 0, sizeof(b));
	order[0] = '\0';
	child_status = -2;
	return 0;
}

static int teardown(void **state)
{
	loop_clear(&b);
	return 0;
}

static void spin(long long ms)
{
	long long end = mono_ms() + ms;

	while (mono_ms() < end)
		(void)loop_run_once(&b, -1, (int)(end - mono_ms()));
}

/* timers fire in the order they are due, whatever order they were added in */
static void test_timers(void **state)
{
	long long now = mono_ms();

	assert_int_not_equal(loop_add_timer(&b, now + 60, timer_fn, "b "), 0);
	assert_int_not_equal(loop_add_timer(&b, now + 20, timer_fn, "a "), 0);
	assert_false(loop_busy(&b));
	spin(150);
	assert_string_equal(order, "a b ");
	assert_int_equal(b.ev.loop.n, 0);
}

/* a child's end is an event with its wait status; the timer meanwhile still fires */
static void test_child(void **state)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(100 * 1000);
		_exit(7);
	}
	assert_int_not_equal(loop_add_child(&b, pid, child_fn, NULL), 0);
	assert_int_not_equal(loop_add_timer(&b, mono_ms() + 10, timer_fn, "t "), 0);
	assert_true(loop_busy(&b));
	assert_true(loop_has_children(&b));
	while (loop_busy(&b))
		(void)loop_run_once(&b, -1, 1000);
	assert_string_equal(order, "t child ");
	assert_true(WIFEXITED(child_status));
	assert_int_equal(WEXITSTATUS(child_status), 7);
}

/* an fd's function runs when it is readable; the uevent socket is the caller's to read */
static void test_fd_and_socket(void **state)
{
	int p[2], nl[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(nl), 0);
	assert_int_not_equal(loop_add_fd(&b, p[0], fd_fn, &p[0]), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(&b, nl[0], 1000), 0);
	assert_string_equal(order, "fd ");
	assert_int_equal(write(nl[1], "y", 1), 1);
	assert_int_equal(loop_run_once(&b, nl[0], 1000), 1);
	close(p[1]);
	close(nl[0]);
	close(nl[1]);
	loop_clear(&b);
	assert_string_equal(order, "fd fd-cancelled ");
	close(p[0]);
}

/* cleared: a running child is killed and reaped, each owner told */
static void test_clear(void **state)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_not_equal(loop_add_child(&b, pid, child_fn, NULL), 0);
	assert_int_not_equal(loop_add_timer(&b, mono_ms() + 100000, timer_fn, "late "), 0);
	loop_clear(&b);
	assert_int_equal(b.ev.loop.n, 0);
	assert_int_equal(child_status, LOOP_CANCELLED);
	assert_non_null(strstr(order, "cancelled:late "));
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* paused (a prompt open): the time counts as paused, and keeps counting once resumed */
static void test_pause(void **state)
{
	loop_pause(&b);
	usleep(120 * 1000);
	assert_true(loop_paused_ms(&b) >= 100);
	loop_resume(&b);
	usleep(50 * 1000);
	assert_true(loop_paused_ms(&b) >= 100 && loop_paused_ms(&b) < 160);
}

/* a source removed by another's function is not run */
static void remover(struct boot *bt, void *data, int arg)
{
	loop_remove(bt, *(unsigned int *)data);
	note("remover ");
}

static void test_remove_from_function(void **state)
{
	static unsigned int victim;
	long long now = mono_ms();

	assert_int_not_equal(loop_add_timer(&b, now, remover, &victim), 0);
	victim = loop_add_timer(&b, now, timer_fn, "victim ");
	spin(20);
	assert_string_equal(order, "remover ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_and_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_from_function, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
