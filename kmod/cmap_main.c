// SPDX-License-Identifier: GPL-2.0
/*
 * cmap module: owns the one map shared by every opener of /dev/cmap.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of /dev/cmap (default 0600)");

static const struct file_operations cmap_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice cmap_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cmap",
	.fops = &cmap_fops,
};

static int __init cmap_init(void)
{
	cmap_miscdev.mode = mode;
	return misc_register(&cmap_miscdev);
}

static void __exit cmap_exit(void)
{
	misc_deregister(&cmap_miscdev);
}

module_init(cmap_init);
module_exit(cmap_exit);
MODULE_DESCRIPTION("cmap: concurrent, incrementally resized hash map");
MODULE_LICENSE("GPL");
