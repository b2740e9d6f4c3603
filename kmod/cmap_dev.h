/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap device: between the module (cmap_main.c), which owns the one map and
 * the misc device, and the ioctl layer (cmap_dev.c), which serves it.
 */
#ifndef _CMAP_DEV_H
#define _CMAP_DEV_H

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/types.h>

struct cmap;

/**
 * struct cmap_dev - the map behind /dev/cmap and its limits
 * @misc:        the misc device; misc_open() points file->private_data here
 * @map:         the map every opener shares; set before @misc is
 *               registered, destroyed after it is deregistered
 * @max_entries: the map's entry limit (0: none), as configured
 * @max_bytes:   the map's memory limit (0: none), as configured
 */
struct cmap_dev {
	struct miscdevice misc;
	struct cmap *map;
	u32 max_entries;
	u64 max_bytes;
};

extern const struct file_operations cmap_dev_fops;

#endif /* _CMAP_DEV_H */
