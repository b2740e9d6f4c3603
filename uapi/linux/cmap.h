/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cmap: a concurrent, incrementally resized hash map, used from user space
 * through ioctl()s on the misc device /dev/cmap.
 */
#ifndef _UAPI_LINUX_CMAP_H
#define _UAPI_LINUX_CMAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Limits: keys are 1..CMAP_KEY_MAX bytes, values 0..CMAP_VALUE_MAX bytes. */
#define CMAP_KEY_MAX		256
#define CMAP_VALUE_MAX		4096

/* Update flags: no flag inserts or replaces (ANY). */
#define CMAP_PUT_ANY		0
#define CMAP_PUT_NOEXIST	(1U << 0)	/* fail with -EEXIST if present */
#define CMAP_PUT_EXIST		(1U << 1)	/* fail with -ENOENT if absent */
#define CMAP_PUT_FLAGS		(CMAP_PUT_NOEXIST | CMAP_PUT_EXIST)

/**
 * struct cmap_scan_rec - one entry returned by a scan
 * @key_len:   length of the key that follows this header
 * @value_len: length of the value that follows the key
 *
 * The key and the value follow the header back to back; the next record
 * starts at the next multiple of 8 bytes.
 */
struct cmap_scan_rec {
	__u32 key_len;
	__u32 value_len;
};

#endif /* _UAPI_LINUX_CMAP_H */
