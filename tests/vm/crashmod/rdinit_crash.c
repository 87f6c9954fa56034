// SPDX-License-Identifier: GPL-2.0
/*
 * rdinit_crash - a driver whose init oopses, for the VM scenario m_crash_module.
 *
 * Its alias is virtio-blk's, so rdinit loads it for the root disk, alongside virtio_blk.
 * The NULL dereference kills whichever task called finit_module(): /init must survive
 * that, record the module as failed and still boot.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init rdinit_crash_init(void)
{
	/* volatile: the compiler must not prove the access undefined and drop it */
	int *volatile p = NULL;

	pr_err("rdinit_crash: init called, dereferencing NULL\n");
	return *p;
}

static void __exit rdinit_crash_exit(void)
{
}

module_init(rdinit_crash_init);
module_exit(rdinit_crash_exit);

MODULE_ALIAS("virtio:d00000002v*");
MODULE_DESCRIPTION("Oopses in its init function (rdinit VM test)");
MODULE_LICENSE("GPL");
