// SPDX-License-Identifier: GPL-2.0
/*
 * cmap module: owns the one map shared by every opener of /dev/cmap.
 *
 * The map is created before the misc device is registered and destroyed
 * after it is deregistered, so the ioctl layer never sees it missing; it
 * lives until the module is unloaded, which module refcounting refuses while
 * /dev/cmap is open (the file operations have .owner = THIS_MODULE).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/stat.h>

#include "cmap_core.h"
#include "cmap_dev.h"

static uint max_entries = 1U << 20;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries,
		 "most entries the map holds, inserts beyond fail with ENOSPC (default 1048576, 0: no limit)");

static unsigned long long max_bytes = 256ULL << 20;
module_param(max_bytes, ullong, 0444);
MODULE_PARM_DESC(max_bytes,
		 "memory cap of the map in bytes, entries and tables (default 268435456, 0: no limit)");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of /dev/cmap, 0..0777 (default 0600)");

static int test_hash_bits = -1;
module_param(test_hash_bits, int, 0444);
MODULE_PARM_DESC(test_hash_bits,
		 "TEST ONLY: keep N (0..25) bits of each key's bucket index, so all keys share 2^N buckets (default -1: off); defeats the keyed hash");

/* The hash mask test_hash_bits asks for: bits 0..25 index buckets. */
static int cmap_test_hash_mask(u32 *mask)
{
	if (test_hash_bits < 0) {
		*mask = 0;		/* none */
		return 0;
	}
	if (test_hash_bits > 25) {
		pr_err("test_hash_bits=%d: 0..25, or -1 for off\n",
		       test_hash_bits);
		return -EINVAL;
	}
	*mask = GENMASK(31, 26) | (BIT(test_hash_bits) - 1);
	pr_warn("test_hash_bits=%d: every key in %lu buckets, for tests only\n",
		test_hash_bits, BIT(test_hash_bits));
	return 0;
}

static struct cmap_dev cmap_dev = {
	.misc = {
		.minor = MISC_DYNAMIC_MINOR,
		.name = "cmap",
		.fops = &cmap_dev_fops,
	},
};

static int __init cmap_init(void)
{
	struct cmap_config cfg = {
		.max_entries = max_entries,
		.max_bytes = max_bytes,
		/*
		 * Entries are charged to the memory cgroup of the task that
		 * inserts them, tables to that of the task loading the module
		 * (this one: cmap_create() keeps a reference until unload).
		 * Over its limit an insert fails with -ENOMEM, a grow is
		 * postponed, instead of invoking the OOM killer
		 * (__GFP_RETRY_MAYFAIL), quietly: user space asked.
		 */
		.gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
	};
	struct cmap *map;
	int err;

	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits (0..0777) are allowed\n",
		       mode);
		return -EINVAL;
	}
	err = cmap_test_hash_mask(&cfg.hash_mask);
	if (err)
		return err;
	map = cmap_create(&cfg);
	if (IS_ERR_OR_NULL(map))
		return map ? PTR_ERR(map) : -ENOMEM;

	cmap_dev.map = map;
	cmap_dev.max_entries = max_entries;
	cmap_dev.max_bytes = max_bytes;
	cmap_dev.misc.mode = mode;
	err = misc_register(&cmap_dev.misc);
	if (err)
		goto destroy_map;
	return 0;

destroy_map:
	cmap_destroy(map);
	cmap_dev.map = NULL;
	return err;
}

static void __exit cmap_exit(void)
{
	misc_deregister(&cmap_dev.misc);
	cmap_destroy(cmap_dev.map);
}

module_init(cmap_init);
module_exit(cmap_exit);
MODULE_DESCRIPTION("cmap: concurrent, incrementally resized hash map");
MODULE_LICENSE("GPL");
