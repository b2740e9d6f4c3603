// SPDX-License-Identifier: GPL-2.0
/*
 * libcmap: see cmap.h. Every function returns 0 or a negative errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmap.h"

static __u64 ptr_to_u64(const void *p)
{
	return (__u64)(uintptr_t)p;
}

int libcmap_open(const char *path, int oflags)
{
	int fd = open(path ? path : LIBCMAP_DEVICE, oflags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int libcmap_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int libcmap_info(int fd, struct cmap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return libcmap_ioctl(fd, CMAP_IOC_INFO, info);
}

int libcmap_stats(int fd, struct cmap_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return libcmap_ioctl(fd, CMAP_IOC_STATS, stats);
}

int libcmap_clear(int fd)
{
	struct cmap_clear arg = { .size = sizeof(arg) };

	return libcmap_ioctl(fd, CMAP_IOC_CLEAR, &arg);
}

int libcmap_get(int fd, const void *key, __u32 key_len,
		void *val, __u32 val_size, __u32 *val_len)
{
	struct cmap_get arg = {
		.size = sizeof(arg),
		.key = ptr_to_u64(key),
		.key_len = key_len,
		.value = ptr_to_u64(val),
		.value_size = val_size,
	};
	int err = libcmap_ioctl(fd, CMAP_IOC_GET, &arg);

	if ((!err || err == -ENOSPC) && val_len)
		*val_len = arg.out_value_len;
	return err;
}

int libcmap_put(int fd, const void *key, __u32 key_len,
		const void *val, __u32 val_len, __u32 flags)
{
	struct cmap_put arg = {
		.size = sizeof(arg),
		.flags = flags,
		.key = ptr_to_u64(key),
		.key_len = key_len,
		.value = ptr_to_u64(val),
		.value_len = val_len,
	};

	return libcmap_ioctl(fd, CMAP_IOC_PUT, &arg);
}

int libcmap_delete(int fd, const void *key, __u32 key_len)
{
	struct cmap_delete arg = {
		.size = sizeof(arg),
		.key = ptr_to_u64(key),
		.key_len = key_len,
	};

	return libcmap_ioctl(fd, CMAP_IOC_DELETE, &arg);
}

static int batch(int fd, unsigned long cmd, struct cmap_batch_op *ops,
		 __u32 *count)
{
	struct cmap_batch arg = {
		.size = sizeof(arg),
		.ops = ptr_to_u64(ops),
		.count = *count,
		.op_size = sizeof(*ops),
	};
	int err = libcmap_ioctl(fd, cmd, &arg);

	/*
	 * The kernel writes count back on every error but a fault on @arg
	 * itself, which is on our stack: 0 if it refused the batch outright.
	 */
	*count = arg.count;
	return err;
}

int libcmap_batch_get(int fd, struct cmap_batch_op *ops, __u32 *count)
{
	return batch(fd, CMAP_IOC_BATCH_GET, ops, count);
}

int libcmap_batch_put(int fd, struct cmap_batch_op *ops, __u32 *count)
{
	return batch(fd, CMAP_IOC_BATCH_PUT, ops, count);
}

int libcmap_batch_delete(int fd, struct cmap_batch_op *ops, __u32 *count)
{
	return batch(fd, CMAP_IOC_BATCH_DELETE, ops, count);
}

int libcmap_scan(int fd, __u64 *cursor, void *buf, __u32 buf_size,
		 __u32 *used, __u32 *count, bool *done)
{
	struct cmap_scan arg = {
		.size = sizeof(arg),
		.cursor = *cursor,
		.buf = ptr_to_u64(buf),
		.buf_size = buf_size,
	};
	int err = libcmap_ioctl(fd, CMAP_IOC_SCAN, &arg);

	if (err && err != -ENOSPC)
		return err;
	*used = arg.out_used;
	*count = arg.out_count;
	*done = arg.out_flags & CMAP_SCAN_DONE;
	if (!err)
		*cursor = arg.cursor;
	return err;
}

int libcmap_scan_next(const void *buf, __u32 used, __u32 *off,
		      struct libcmap_rec *rec)
{
	const unsigned char *p = buf;
	struct cmap_scan_rec hdr;
	__u64 end;

	if (*off >= used)
		return 0;
	if (used - *off < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, p + *off, sizeof(hdr));
	end = (__u64)*off + sizeof(hdr) + hdr.key_len + hdr.value_len;
	if (end > used)
		return -EINVAL;
	rec->key = p + *off + sizeof(hdr);
	rec->key_len = hdr.key_len;
	rec->val = p + *off + sizeof(hdr) + hdr.key_len;
	rec->val_len = hdr.value_len;
	end = (end + 7) & ~7ULL;
	*off = end < used ? (__u32)end : used;
	return 1;
}
