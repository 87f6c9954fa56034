// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /etc/crypttab: the one parser's edge cases (common/crypttab.c), then one file read the way
 * each program reads it, /init's (luks.c: read_text_file(), crypttab_parse(), lines not used
 * said in the log and skipped) and mkrdinit's (packaging/cryptfile.c: the build refuses a line
 * not used): the same entries, for a bad line the same words, and the same names refused.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cryptfile.h"
#include "dmname.h"
#include "rdlog.h"
#include "boot.h"

#define FIELDS_MSG "expected NAME DEVICE [KEYFILE [OPTIONS]]"
#define HASH_MSG FIELDS_MSG ": '#' starts a comment only at the start of a line"

static char dir[64], path[128], logbuf[65536];
static FILE *log_file;

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/rdinit-crypttab-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/crypttab", dir);
	log_file = tmpfile();
	if (!log_file)
		return -1;
	/* with the levels, as in the kernel log */
	log_set_fd(fileno(log_file), true);
	log_set_max_level(LOG_LVL_DEBUG);
	/* as main() does: what common/ says goes to /init's log */
	rd_log_set(log_vmsg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	rd_log_set(NULL);
	fclose(log_file);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *logged(void)
{
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, log_file);
	logbuf[n] = '\0';
	return logbuf;
}

/* The messages of the lines not used, one a line. */
struct said {
	char text[4096];
	unsigned int n;
};

static int collect(void *ud, unsigned int line, const char *msg)
{
	struct said *s = ud;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s\n", msg);
	s->n++;
	return 0;
}

static int parse(const char *text, size_t len, struct crypttab *t, struct said *s)
{
	memset(s, 0, sizeof(*s));
	memset(t, 0, sizeof(*t));
	return crypttab_parse_with(text, len, "t", t, collect, s);
}

static void assert_entry(const struct crypttab_entry *e, const char *name, const char *device,
			 const char *keyfile, const char *options, unsigned int line)
{
	assert_string_equal(e->name, name);
	assert_string_equal(e->device, device);
	assert_string_equal(e->keyfile, keyfile);
	assert_string_equal(e->options, options);
	assert_int_equal(e->line, line);
}

/* ---- the parser --------------------------------------------------------------------- */

/* comments, blank lines, tabs, CRLF, two to four fields, a last line without its newline */
static void test_fields(void **state)
{
	static const char text[] = "# name device key options\n"
				   "\n"
				   "   \t\r\n"
				   "  # an indented comment\n"
				   "root UUID=1111 none luks,discard\r\n"
				   "\tdata\t/dev/vdc   /etc/keys/data.key\n"
				   "swap PARTUUID=22 -";
	struct crypttab t;
	struct said s;

	assert_int_equal(parse(text, sizeof(text) - 1, &t, &s), 0);
	assert_string_equal(s.text, "");
	assert_int_equal(t.n, 3);
	assert_entry(&t.v[0], "root", "UUID=1111", "none", "luks,discard", 5);
	assert_entry(&t.v[1], "data", "/dev/vdc", "/etc/keys/data.key", "", 6);
	assert_entry(&t.v[2], "swap", "PARTUUID=22", "-", "", 7);
	crypttab_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
	/* nothing at all, and only newlines */
	assert_int_equal(parse("", 0, &t, &s), 0);
	assert_int_equal(parse("\n\n\n", 3, &t, &s), 0);
	assert_int_equal(t.n, 0);
}

/*
 * '#' starts a comment only at the start of a line, as in systemd and Debian: after an entry
 * it is not a comment, and a field starting with it is said; inside a field it is a character.
 */
static void test_hash(void **state)
{
	static const char text[] = "root /dev/vda2 none luks # the root\n"
				   "data UUID=1 #key\n"
				   "key#2 /dev/w key#2 opt#1\n"
				   "#root /dev/vda2\n"
				   "swap /dev/vdb1 /dev/urandom swap #\n";
	struct crypttab t;
	struct said s;

	assert_int_equal(parse(text, sizeof(text) - 1, &t, &s), 3);
	assert_string_equal(s.text, "t:1: " HASH_MSG "\n"
				    "t:2: " HASH_MSG "\n"
				    "t:5: " HASH_MSG "\n");
	assert_int_equal(t.n, 1);
	assert_entry(&t.v[0], "key#2", "/dev/w", "key#2", "opt#1", 3);
	crypttab_free(&t);
}

/* fewer than two or more than four fields: said with the count, and the next lines go on */
static void test_field_count(void **state)
{
	static const char text[] = "lonely\n"
				   "root /dev/vda2 none luks extra\n"
				   "opts /dev/vdb none luks, discard\n"
				   "ok /dev/vdc\n";
	struct crypttab t;
	struct said s;

	assert_int_equal(parse(text, sizeof(text) - 1, &t, &s), 3);
	assert_string_equal(s.text, "t:1: " FIELDS_MSG ", found 1 field\n"
				    "t:2: " FIELDS_MSG ", found 5 fields\n"
				    "t:3: " FIELDS_MSG ", found 5 fields\n");
	assert_int_equal(t.n, 1);
	assert_entry(&t.v[0], "ok", "/dev/vdc", "", "", 4);
	crypttab_free(&t);
}

/* a NUL byte: the line is said; in a comment it says nothing either way */
static void test_nul(void **state)
{
	static const char text[] = "root /dev/x\0 none\n# c\0mment\nok /dev/y";
	struct crypttab t;
	struct said s;

	assert_int_equal(parse(text, sizeof(text) - 1, &t, &s), 1);
	assert_string_equal(s.text, "t:1: a NUL byte in the line\n");
	assert_int_equal(t.n, 1);
	assert_entry(&t.v[0], "ok", "/dev/y", "", "", 3);
	crypttab_free(&t);
}

/* no line length limit: a long field is one field, not cut into another entry */
static void test_long_line(void **state)
{
	size_t len = 5000;
	char *text = malloc(len);
	struct crypttab t;
	struct said s;

	assert_non_null(text);
	memset(text, 'x', len);
	memcpy(text, "n UUID=", 7);
	assert_int_equal(parse(text, len, &t, &s), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(strlen(t.v[0].device), len - 2);
	crypttab_free(&t);
	free(text);
}

static void test_keyfile(void **state)
{
	static const char text[] =
		"a /dev/a\nb /dev/b none\nc /dev/c -\nd /dev/d /k\ne /dev/e none2\n";
	struct crypttab t;
	struct said s;

	assert_int_equal(parse(text, sizeof(text) - 1, &t, &s), 0);
	assert_int_equal(t.n, 5);
	assert_null(crypttab_keyfile(&t.v[0]));
	assert_null(crypttab_keyfile(&t.v[1]));
	assert_null(crypttab_keyfile(&t.v[2]));
	assert_string_equal(crypttab_keyfile(&t.v[3]), "/k");
	assert_string_equal(crypttab_keyfile(&t.v[4]), "none2");
	crypttab_free(&t);
}

/* A caller that stops at the first line not used gets its error; what came before is kept. */
static int stop(void *ud, unsigned int line, const char *msg)
{
	*(unsigned int *)ud = line;
	return -EINVAL;
}

static void test_stop(void **state)
{
	static const char text[] = "a /dev/a\nb\nc /dev/c\nd\n";
	struct crypttab t = { 0 };
	unsigned int line = 0;

	assert_int_equal(crypttab_parse_with(text, sizeof(text) - 1, "t", &t, stop, &line),
			 -EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(t.n, 1);
	crypttab_free(&t);
	/* no one to tell: the lines are skipped all the same */
	assert_int_equal(crypttab_parse_with(text, sizeof(text) - 1, "t", &t, NULL, NULL), 2);
	assert_int_equal(t.n, 2);
	crypttab_free(&t);
}

/* crypttab_parse(), /init's: each line not used is a warning in the log */
static void test_logged(void **state)
{
	static const char text[] = "a /dev/a\nlonely\n";
	struct crypttab t = { 0 };

	assert_int_equal(crypttab_parse(text, sizeof(text) - 1, "/etc/crypttab", &t), 1);
	assert_int_equal(t.n, 1);
	assert_non_null(strstr(logged(), "<4>rdinit: /etc/crypttab:2: " FIELDS_MSG
					 ", found 1 field; ignoring the line\n"));
	crypttab_free(&t);
	/* no log named (a fuzzer): said nowhere, skipped all the same */
	rd_log_set(NULL);
	assert_int_equal(crypttab_parse(text, sizeof(text) - 1, "elsewhere", &t), 1);
	assert_null(strstr(logged(), "elsewhere"));
	crypttab_free(&t);
}

/* ---- one file, both programs --------------------------------------------------------- */

static void write_file(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* What luks.c's crypttab() does with the image's /etc/crypttab, on @path. */
static int init_reads(struct crypttab *t)
{
	char *text = NULL;
	size_t len;
	int r = read_text_file(path, CRYPTTAB_MAX_SIZE, &text, &len);

	memset(t, 0, sizeof(*t));
	if (r == 0)
		r = crypttab_parse(text, len, path, t);
	free(text);
	return r;
}

/* The line @n (from 1) of @text, without its newline. */
static void nth_line(const char *text, unsigned int n, char *buf, size_t size)
{
	while (--n)
		text = strchr(text, '\n') + 1;
	snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
}

static bool no_keyfile(const struct crypttab_entry *e, void *data)
{
	return !crypttab_keyfile(e);
}

static void test_same_entries(void **state)
{
	static const char text[] =
		"# <name> <device> <key file> <options>\n"
		"\n"
		"root UUID=0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 /k/a.key luks,discard\n"
		"  data\t/dev/vdb2\t/k/b.key\tluks\r\n"
		"home PARTUUID=5e3c1a2b-03 none luks\n"
		"  # other /dev/vdc - luks\n"
		"bare /dev/vdd\n"
		"key#1 /dev/vde /k/a#1.key\n"
		"swap /dev/vdf /dev/urandom swap";
	struct cryptfile f;
	struct crypttab t;
	struct mk_err err = { 0 };
	const char *line;
	char want[256];
	size_t n;

	write_file(text, sizeof(text) - 1);
	assert_int_equal(init_reads(&t), 0);
	assert_int_equal(cryptfile_read(&f, path, &err), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(logged(), "");
	assert_int_equal(t.n, 6);
	assert_int_equal(f.tab.n, t.n);
	for (size_t i = 0; i < t.n; i++) {
		const struct crypttab_entry *a = &t.v[i], *b = &f.tab.v[i];

		assert_entry(b, a->name, a->device, a->keyfile, a->options, a->line);
		/* what mkrdinit writes into the image for a line it keeps: the line as written */
		line = cryptfile_line(&f, b, &n);
		nth_line(text, b->line, want, sizeof(want));
		assert_int_equal(n, strlen(want));
		assert_memory_equal(line, want, n);
	}
	assert_entry(&t.v[1], "data", "/dev/vdb2", "/k/b.key", "luks", 4);
	assert_entry(&t.v[4], "key#1", "/dev/vde", "/k/a#1.key", "", 8);
	/* --profile host keeps some: in their order, each still its own line */
	cryptfile_filter(&f, no_keyfile, NULL);
	assert_int_equal(f.tab.n, 2);
	assert_string_equal(f.tab.v[0].name, "home");
	assert_string_equal(f.tab.v[1].name, "bare");
	line = cryptfile_line(&f, &f.tab.v[1], &n);
	assert_int_equal(n, 13);
	assert_memory_equal(line, "bare /dev/vdd", n);
	crypttab_free(&t);
	cryptfile_free(&f);
}

/* A bad line: /init says it and goes on without it; mkrdinit refuses, with the same words. */
static void test_same_refusals(void **state)
{
#define BAD(s)                   \
	{                        \
		s, sizeof(s) - 1 \
	}
	static const struct {
		const char *text;
		size_t len;
	} bad[] = { BAD("lonely"), BAD("root /dev/vda2 none luks extra"),
		    BAD("root /dev/vda2 none luks # the root"), BAD("root /dev/vda2\0none") };
#undef BAD

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256], word[PATH_MAX + 300];
		struct mk_err err = { 0 };
		struct cryptfile f;
		struct crypttab t;
		size_t len;

		len = (size_t)snprintf(text, sizeof(text), "# first\nok /dev/vdc none\n");
		memcpy(text + len, bad[i].text, bad[i].len);
		len += bad[i].len;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "\nlast /dev/vdd\n");
		write_file(text, len);
		assert_int_equal(init_reads(&t), 1);
		assert_int_equal(t.n, 2);
		assert_string_equal(t.v[0].name, "ok");
		assert_string_equal(t.v[1].name, "last");
		assert_int_equal(cryptfile_read(&f, path, &err), -EINVAL);
		assert_memory_equal(err.msg, path, strlen(path));
		assert_memory_equal(err.msg + strlen(path), ":3: ", 4);
		snprintf(word, sizeof(word), "<4>rdinit: %s; ignoring the line\n", err.msg);
		assert_non_null(strstr(logged(), word));
		crypttab_free(&t);
		cryptfile_free(&f);
	}
}

/*
 * A NAME device-mapper refuses is an entry like any other to the parser; mkrdinit refuses to
 * build with it, and /init's plan refuses to open a device under it (common/dmname.h).
 */
static void test_same_names(void **state)
{
	static const char *const bad[] = { "a/b", "-x", "control", ".", ".." };
	static const struct blockdev d = { .name = "vdb",
					   .type = "crypto_LUKS",
					   .uuid = "1234-5678" };
	char text[512], want[PATH_MAX + 300], out[256], name[129];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *n = bad[i];
		struct mk_err err = { 0 };
		struct cryptfile f;
		static struct boot b;

		snprintf(text, sizeof(text), "ok /dev/vdc none\n%s UUID=1234-5678 none\n", n);
		write_file(text, strlen(text));
		memset(&b, 0, sizeof(b));
		opts_init(&b.opts);
		assert_int_equal(init_reads(&b.st.crypttab), 0);
		b.st.crypttab_read = true;
		assert_int_equal(b.st.crypttab.n, 2);
		assert_string_equal(b.st.crypttab.v[1].name, n);
		assert_int_equal(luks_plan_describe(&b, &d, out, sizeof(out)), -EINVAL);
		assert_non_null(strstr(out, "is refused"));
		assert_int_equal(cryptfile_read(&f, path, &err), -EINVAL);
		snprintf(want, sizeof(want), "%s:2: the name '%.100s' cannot name a mapping: %s",
			 path, n, rd_dm_name_invalid(n));
		assert_string_equal(err.msg, want);
		crypttab_free(&b.st.crypttab);
		opts_free(&b.opts);
		cryptfile_free(&f);
	}
	/* 127 bytes, device-mapper's longest: both take it */
	{
		struct mk_err err = { 0 };
		struct cryptfile f;
		struct crypttab t;

		snprintf(text, sizeof(text), "%s UUID=1234-5678 none\n", name + 1);
		write_file(text, strlen(text));
		assert_int_equal(init_reads(&t), 0);
		assert_int_equal(t.n, 1);
		assert_int_equal(cryptfile_read(&f, path, &err), 0);
		assert_int_equal(f.tab.n, 1);
		crypttab_free(&t);
		cryptfile_free(&f);
	}
	/* 128 bytes: mkrdinit refuses it, and /init's plan never opens it cut short */
	{
		struct mk_err err = { 0 };
		struct cryptfile f;
		static struct boot b;

		snprintf(text, sizeof(text), "%s UUID=1234-5678 none\n", name);
		write_file(text, strlen(text));
		memset(&b, 0, sizeof(b));
		opts_init(&b.opts);
		assert_int_equal(init_reads(&b.st.crypttab), 0);
		b.st.crypttab_read = true;
		assert_int_equal(luks_plan_describe(&b, &d, out, sizeof(out)), -EINVAL);
		assert_non_null(strstr(out, "longer than 127 bytes"));
		assert_int_equal(cryptfile_read(&f, path, &err), -EINVAL);
		crypttab_free(&b.st.crypttab);
		opts_free(&b.opts);
		cryptfile_free(&f);
	}
}

/* mkrdinit refuses a crypttab exactly when /init could not read it, at a byte's precision. */
static void test_same_size_limit(void **state)
{
	size_t len = CRYPTTAB_MAX_SIZE - 1;
	char *text = malloc(len);
	struct mk_err err = { 0 };
	struct cryptfile f;
	struct crypttab t;

	assert_non_null(text);
	memset(text, '#', len);
	memcpy(text, "a /dev/a\n", 9);
	write_file(text, len - 1);
	assert_int_equal(init_reads(&t), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(cryptfile_read(&f, path, &err), 0);
	assert_int_equal(f.tab.n, 1);
	crypttab_free(&t);
	cryptfile_free(&f);
	write_file(text, len);
	assert_int_equal(init_reads(&t), -EFBIG);
	assert_int_equal(cryptfile_read(&f, path, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "too large for /init to read"));
	crypttab_free(&t);
	cryptfile_free(&f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_size_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
