/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcmap: a thin wrapper around the ioctl()s of /dev/cmap
 * (uapi/linux/cmap.h). One function per command; each fills in the
 * structure's size, issues the ioctl and returns 0 or a negative errno
 * (never -1 with errno). Build with -I<repo>/uapi.
 *
 *	int fd = libcmap_open(NULL, O_RDWR);
 *	if (fd < 0)
 *		return fd;			// e.g. -ENOENT: module not loaded
 *	err = libcmap_put(fd, "k", 1, "v", 1, CMAP_PUT_ANY);
 *	err = libcmap_get(fd, "k", 1, buf, sizeof(buf), &len);
 *
 * Names are libcmap_* so that they never clash with the map core's
 * cmap_* functions when both are linked into one user-space program.
 */
#ifndef _LIBCMAP_H
#define _LIBCMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/cmap.h>

#define LIBCMAP_DEVICE	"/dev/cmap"

/* Open the device (@path NULL: LIBCMAP_DEVICE); returns an fd or -errno. */
int libcmap_open(const char *path, int oflags);
/* Any cmap ioctl, as is: returns 0 or -errno. For tests and new commands. */
int libcmap_ioctl(int fd, unsigned long cmd, void *arg);

int libcmap_info(int fd, struct cmap_info *info);
int libcmap_stats(int fd, struct cmap_stats *stats);
int libcmap_clear(int fd);

/*
 * Look @key up and copy its value into @val (@val_size bytes). *@val_len
 * gets the value's length, also on -ENOSPC (buffer too small).
 */
int libcmap_get(int fd, const void *key, __u32 key_len,
		void *val, __u32 val_size, __u32 *val_len);
/* @flags: CMAP_PUT_ANY, CMAP_PUT_NOEXIST or CMAP_PUT_EXIST. */
int libcmap_put(int fd, const void *key, __u32 key_len,
		const void *val, __u32 val_len, __u32 flags);
int libcmap_delete(int fd, const void *key, __u32 key_len);

/*
 * Batches: run *@count operations of @ops in order; on return *@count is
 * the number completed (on error ops[*@count] is the one that failed; 0
 * if the kernel refused the batch before its first operation, e.g. -EBADF
 * on a read-only descriptor).
 */
int libcmap_batch_get(int fd, struct cmap_batch_op *ops, __u32 *count);
int libcmap_batch_put(int fd, struct cmap_batch_op *ops, __u32 *count);
int libcmap_batch_delete(int fd, struct cmap_batch_op *ops, __u32 *count);

/*
 * One step of a scan. Start with *@cursor = 0; each call fills @buf with
 * whole buckets, sets *@used and *@count, advances *@cursor and sets *@done
 * when the scan is complete. -ENOSPC: a bucket needs *@used bytes.
 */
int libcmap_scan(int fd, __u64 *cursor, void *buf, __u32 buf_size,
		 __u32 *used, __u32 *count, bool *done);

/* Walking the records of a scan buffer. */
struct libcmap_rec {
	const void *key;
	const void *val;
	__u32 key_len;
	__u32 val_len;
};

/*
 * Decode the record at *@off in @buf (@used bytes) into @rec and move *@off
 * to the next one. Returns 1 for a record, 0 at the end, -EINVAL if the
 * buffer is malformed.
 */
int libcmap_scan_next(const void *buf, __u32 used, __u32 *off,
		      struct libcmap_rec *rec);

#endif /* _LIBCMAP_H */
