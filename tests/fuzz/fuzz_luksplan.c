// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the LUKS planner (init/luks.c) on what a user writes: the first line is a
 * kernel command line (rd.luks.uuid=, rd.luks.name=, rd.luks.key=, rd.luks.options=, ...), the
 * rest /etc/crypttab. For a LUKS device, the plan must be a mapping name device-mapper takes,
 * or a reason; numbers in options never overflow (UBSan stops on that).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmname.h"
#include "boot.h"

/* ---- what the planner's file calls elsewhere; nothing is opened here ---- */

struct stack_member *stacks_member(struct boot *b, const struct blockdev *d, enum stack_kind k)
{
	return NULL;
}

int stack_tool(struct boot *b, enum stack_kind k, const char **path)
{
	return -ENOENT;
}

const char *stack_last_line(const char *out, char *line, size_t size)
{
	return "";
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	return 0;
}

/* the loop's side of luks.c (tools as children, the prompt): the plan never reaches it */
struct stack_member *stacks_find(struct boot *b, enum stack_kind k, const char *dev)
{
	return NULL;
}

void stack_set(struct stack_member *m, enum member_state state, const char *fmt, ...)
{
}

int stack_spawn(struct boot *b, char *const argv[], const char *dev, const char *input,
		size_t inlen, stack_done_fn *done, void *data)
{
	abort();
}

int prompt_open(struct boot *b, const char *text, prompt_fn *fn, void *data)
{
	abort();
}

bool prompt_is_open(const struct boot *b)
{
	return false;
}

void prompt_withdraw(struct boot *b)
{
}

void loop_give_up(struct boot *b)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_max_level(0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct blockdev d = { .name = "vdb",
					   .type = "crypto_LUKS",
					   .uuid = "1234-5678-9abc" };
	char *text = malloc(size + 1), out[256];
	const char *nl;
	struct boot b;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = memchr(text, '\n', size);
	memset(&b, 0, sizeof(b));
	opts_init(&b.opts);
	if (nl)
		text[nl - text] = '\0';
	(void)cmdline_parse(text, &b.opts);
	if (nl)
		(void)crypttab_parse(nl + 1, size - (size_t)(nl + 1 - text), "fuzz.crypttab",
				     &b.st.crypttab);
	b.st.crypttab_read = true;
	r = luks_plan_describe(&b, &d, out, sizeof(out));
	if (r == 1 && rd_dm_name_invalid(out))
		abort();
	if (r == -ERANGE)
		abort();
	crypttab_free(&b.st.crypttab);
	opts_free(&b.opts);
	free(text);
	return 0;
}
