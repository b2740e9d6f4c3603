// SPDX-License-Identifier: GPL-2.0
/*
 * cmap ioctl layer: serves the ABI of uapi/linux/cmap.h on /dev/cmap.
 *
 * Every command is a row of cmap_iocs[]: its handler, the size of its
 * argument structure, the shortest structure it accepts, its valid flags,
 * whether it writes the structure back and whether it modifies the map.
 * cmap_dev_ioctl() does everything the rows have in common (decode the
 * command, copy the extensible structure in, check flags, copy it back) so
 * that each handler is a few lines about its own command.
 *
 * Rules this file keeps:
 *
 *  1. No user memory is touched while the core holds a lock or an RCU read
 *     section: keys and values are copied into a kernel buffer (struct
 *     cmap_kv) before the core is called, and out of it after the core
 *     returned. The core's cmap_lookup() copies the value into that buffer
 *     under RCU, so a reader sees one value, whole. A scan fills a kernel
 *     bounce buffer the same way.
 *  2. Every user pointer goes through copy_{from,to}_user() or
 *     get/put_user(), so a bad pointer of any kind is -EFAULT, never an oops.
 *  3. Transient buffers are allocated per call (the file may be shared by
 *     threads); the map's own memory is charged by the core with the gfp
 *     flags of struct cmap_config (GFP_KERNEL_ACCOUNT).
 *  4. Batches check for signals between operations and call cond_resched(),
 *     so a huge batch neither hogs a CPU nor ignores kill.
 *
 * Context: every entry point runs in process context and may sleep.
 */
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/cmap.h>

#include "cmap_core.h"
#include "cmap_dev.h"

/* Largest scan bounce buffer allocated up front; see cmap_ioc_scan(). */
#define CMAP_SCAN_KBUF		SZ_256K

/*
 * A key and a value in kernel memory, between user space and the core.
 * Sized to the operation: a single GET of an 8-byte value allocates a few
 * hundred bytes, not CMAP_VALUE_MAX (with init_on_alloc, every byte
 * allocated is also zeroed).
 */
struct cmap_kv {
	u32 val_size;			/* bytes at @val */
	u8 key[CMAP_KEY_MAX];
	u8 val[] __counted_by(val_size);
};

/* The members every argument structure starts with. */
struct cmap_ioc_hdr {
	__u32 size;
	__u32 flags;
};

/* Room for the argument of any command. */
union cmap_ioc_arg {
	struct cmap_ioc_hdr hdr;
	struct cmap_info info;
	struct cmap_get get;
	struct cmap_put put;
	struct cmap_delete del;
	struct cmap_batch batch;
	struct cmap_scan scan;
	struct cmap_stats stats;
	struct cmap_clear clear;
};

/* When cmap_dev_ioctl() copies the argument structure back. */
enum cmap_ioc_out {
	CMAP_OUT_NONE,		/* never: the command has no outputs */
	CMAP_OUT_OK,		/* on success */
	CMAP_OUT_ALWAYS,	/* also on errors: outputs explain them */
};

/**
 * struct cmap_ioc - how one command is decoded
 * @fn:       the handler; its argument has been copied in and checked
 * @ksize:    size of the kernel's argument structure
 * @min_size: the shortest argument structure accepted
 * @flags:    the valid bits of the structure's flags member
 * @out:      when the structure is copied back
 * @write:    the command modifies the map (needs a file open for writing)
 * @batch:    the argument is a struct cmap_batch, whose count is written
 *            back also when the command is refused (cmap_batch_refused())
 */
struct cmap_ioc {
	int (*fn)(struct cmap_dev *dev, union cmap_ioc_arg *arg);
	u32 ksize;
	u32 min_size;
	u32 flags;
	u8 out;
	bool write;
	bool batch;
};

/*
 * One operation on one key, as a batch element describes it; the single-key
 * commands build one too. @kv is the caller's scratch buffer.
 */
typedef int (*cmap_op_fn)(struct cmap *map, struct cmap_kv *kv,
			  struct cmap_batch_op *op);

/* Scratch for a key and a value of up to @val_size bytes (capped). */
static struct cmap_kv *cmap_kv_alloc(u32 val_size)
{
	struct cmap_kv *kv;

	val_size = min_t(u32, val_size, CMAP_VALUE_MAX);
	kv = kmalloc(struct_size(kv, val, val_size), GFP_KERNEL);
	if (kv)
		kv->val_size = val_size;
	return kv;
}

static int cmap_copy_key(struct cmap_kv *kv, u64 ukey, u32 key_len)
{
	if (!key_len)
		return -EINVAL;
	if (key_len > CMAP_KEY_MAX)
		return -E2BIG;
	if (copy_from_user(kv->key, u64_to_user_ptr(ukey), key_len))
		return -EFAULT;
	return 0;
}

/* Look op->key up; the value goes to op->value, its length to value_len. */
static int cmap_op_get(struct cmap *map, struct cmap_kv *kv,
		       struct cmap_batch_op *op)
{
	u32 len;
	int err;

	if (op->flags)
		return -EINVAL;
	err = cmap_copy_key(kv, op->key, op->key_len);
	if (err)
		return err;
	err = cmap_lookup(map, kv->key, op->key_len, kv->val, kv->val_size,
			  &len);
	if (err && err != -ENOSPC)
		return err;
	op->value_len = len;
	if (len > op->value_size)
		return -ENOSPC;
	if (copy_to_user(u64_to_user_ptr(op->value), kv->val, len))
		return -EFAULT;
	return 0;
}

static int cmap_op_put(struct cmap *map, struct cmap_kv *kv,
		       struct cmap_batch_op *op)
{
	int err;

	if ((op->flags & ~CMAP_PUT_FLAGS) || op->flags == CMAP_PUT_FLAGS)
		return -EINVAL;
	err = cmap_copy_key(kv, op->key, op->key_len);
	if (err)
		return err;
	if (op->value_len > CMAP_VALUE_MAX)
		return -E2BIG;
	if (WARN_ON_ONCE(op->value_len > kv->val_size))
		return -EINVAL;
	if (copy_from_user(kv->val, u64_to_user_ptr(op->value), op->value_len))
		return -EFAULT;
	return cmap_update(map, kv->key, op->key_len, kv->val, op->value_len,
			   op->flags);
}

static int cmap_op_delete(struct cmap *map, struct cmap_kv *kv,
			  struct cmap_batch_op *op)
{
	int err;

	if (op->flags)
		return -EINVAL;
	err = cmap_copy_key(kv, op->key, op->key_len);
	if (err)
		return err;
	return cmap_delete(map, kv->key, op->key_len);
}

/* Run one operation with a scratch buffer for values of @val_size bytes. */
static int cmap_run_op(struct cmap_dev *dev, cmap_op_fn fn,
		       struct cmap_batch_op *op, u32 val_size)
{
	struct cmap_kv *kv;
	int err;

	kv = cmap_kv_alloc(val_size);
	if (!kv)
		return -ENOMEM;
	err = fn(dev->map, kv, op);
	kfree(kv);
	return err;
}

static int cmap_ioc_get(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_get *get = &arg->get;
	struct cmap_batch_op op = {
		.key = get->key,
		.key_len = get->key_len,
		.value = get->value,
		.value_size = get->value_size,
	};
	int err;

	if (get->__reserved)
		return -EINVAL;
	err = cmap_run_op(dev, cmap_op_get, &op, op.value_size);
	if (!err || err == -ENOSPC)
		get->out_value_len = op.value_len;
	return err;
}

static int cmap_ioc_put(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_put *put = &arg->put;
	struct cmap_batch_op op = {
		.key = put->key,
		.key_len = put->key_len,
		.value = put->value,
		.value_len = put->value_len,
		.flags = put->flags,
	};

	return cmap_run_op(dev, cmap_op_put, &op, op.value_len);
}

static int cmap_ioc_delete(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_delete *del = &arg->del;
	struct cmap_batch_op op = {
		.key = del->key,
		.key_len = del->key_len,
	};

	if (del->__reserved)
		return -EINVAL;
	return cmap_run_op(dev, cmap_op_delete, &op, 0);
}

/* The user address of element @i of a batch, or NULL on overflow. */
static void __user *cmap_batch_elem(const struct cmap_batch *b, u32 i)
{
	u64 addr;

	if (check_add_overflow(b->ops, (u64)i * b->op_size, &addr))
		return NULL;
	return u64_to_user_ptr(addr);
}

/* GET reports each value's length in its element, also when it is ENOSPC. */
static int cmap_batch_put_len(void __user *uop, const struct cmap_batch_op *op)
{
	u32 __user *ulen = uop + offsetof(struct cmap_batch_op, value_len);

	return put_user(op->value_len, ulen) ? -EFAULT : 0;
}

/*
 * Run b->count operations in order, stopping at the first error; on return
 * b->count is the number completed. An element is copied as an extensible
 * structure of b->op_size bytes.
 */
static int cmap_batch_run(struct cmap_dev *dev, struct cmap_batch *b,
			  cmap_op_fn fn)
{
	u32 n = b->count, i;
	struct cmap_kv *kv;
	int err = 0;

	b->count = 0;
	if (b->op_size < sizeof(struct cmap_batch_op))
		return -EINVAL;
	if (b->op_size > PAGE_SIZE)
		return -E2BIG;
	kv = cmap_kv_alloc(CMAP_VALUE_MAX);
	if (!kv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		void __user *uop = cmap_batch_elem(b, i);
		struct cmap_batch_op op;

		if (i && signal_pending(current)) {
			err = -EINTR;
			break;
		}
		err = copy_struct_from_user(&op, sizeof(op), uop, b->op_size);
		if (err)
			break;
		err = fn(dev->map, kv, &op);
		if (fn == cmap_op_get && (!err || err == -ENOSPC) &&
		    cmap_batch_put_len(uop, &op))
			err = -EFAULT;
		if (err)
			break;
		b->count = i + 1;
		cond_resched();
	}
	kfree(kv);
	return err;
}

static int cmap_ioc_batch_get(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	return cmap_batch_run(dev, &arg->batch, cmap_op_get);
}

static int cmap_ioc_batch_put(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	return cmap_batch_run(dev, &arg->batch, cmap_op_put);
}

static int cmap_ioc_batch_delete(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	return cmap_batch_run(dev, &arg->batch, cmap_op_delete);
}

/*
 * One cmap_scan() from s->cursor into a bounce buffer of @size bytes, then
 * to s->buf; with @first, of the entries of the first hash value with any
 * only. The core writes every byte up to sb.used, padding included, so the
 * buffer needs no zeroing. Records that do not fit the caller's buffer are
 * -ENOSPC, with their size. s->cursor advances only once the records
 * reached user space, so a call that fails can be repeated without losing
 * entries.
 */
static int cmap_scan_bounce(struct cmap *map, struct cmap_scan *s, u32 size,
			    bool first)
{
	struct cmap_scan_buf sb = { .size = size, .first = first };
	u64 cursor = s->cursor;
	int err;

	sb.buf = kvmalloc(max(size, 8U),
			  GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!sb.buf)
		return -ENOMEM;
	err = cmap_scan(map, &cursor, &sb);
	if (!err && sb.used > s->buf_size)
		err = -ENOSPC;
	if (err) {
		if (err == -ENOSPC)
			s->out_used = min_t(size_t, sb.used, U32_MAX);
		goto free_buf;
	}
	if (copy_to_user(u64_to_user_ptr(s->buf), sb.buf, sb.used)) {
		err = -EFAULT;
		goto free_buf;
	}
	s->cursor = cursor;
	s->out_used = sb.used;
	s->out_count = sb.count;
	if (cursor == CMAP_SCAN_END)
		s->out_flags = CMAP_SCAN_DONE;
free_buf:
	kvfree(sb.buf);
	return err;
}

static int cmap_ioc_scan(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_scan *s = &arg->scan;
	u32 size = min_t(u32, s->buf_size, CMAP_SCAN_KBUF), need;
	int err;

	s->out_used = 0;
	s->out_count = 0;
	s->out_flags = 0;
	if (s->cursor == CMAP_SCAN_END) {
		s->out_flags = CMAP_SCAN_DONE;
		return 0;
	}
	err = cmap_scan_bounce(dev->map, s, size, false);
	/*
	 * The entries of the next hash value did not fit in @size bytes, and
	 * out_used is only an upper bound of their size (duplicates met once
	 * the buffer was full are counted, and in a migration room for the
	 * duplicate index). Scan them alone into a buffer of that bound: they
	 * then fit, duplicates are dropped, and they either fit the caller's
	 * buffer (when @size was the default bounce buffer's, not the
	 * caller's, or the bound held duplicates or the index) or make
	 * out_used exact. Only if they grew in between is out_used still an
	 * upper bound. Without memory for the bound, the bound stands.
	 */
	if (err == -ENOSPC && s->out_used > size) {
		need = s->out_used;
		err = cmap_scan_bounce(dev->map, s, need, true);
		if (err == -ENOMEM) {
			s->out_used = need;
			err = -ENOSPC;
		}
	}
	return err;
}

/*
 * INFO and STATS accept a caller's structure shorter than the kernel's
 * (uapi), but only one that ends where a member ends: the __u32 members
 * come first, up to @u64_from, the __u64 members after them.
 */
static bool cmap_out_size_ok(u32 usize, u32 ksize, u32 u64_from)
{
	if (usize >= ksize)
		return true;
	return IS_ALIGNED(usize, usize <= u64_from ? sizeof(__u32) :
						     sizeof(__u64));
}

static int cmap_ioc_stats(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_stats *s = &arg->stats;
	struct cmap_core_stats st;

	BUILD_BUG_ON(sizeof(s->chain_hist) != sizeof(st.chain_hist));
	if (!cmap_out_size_ok(s->size, sizeof(*s),
			      offsetofend(struct cmap_stats, flags)))
		return -EINVAL;
	cmap_get_stats(dev->map, &st);
	s->entries = st.entries;
	s->bytes = st.bytes;
	s->buckets = st.buckets;
	s->future_buckets = st.future_buckets;
	s->migrated = st.migrated;
	s->grows = st.grows;
	s->shrinks = st.shrinks;
	s->resize_alloc_failures = st.resize_alloc_failures;
	s->moved_by_writers = st.moved_by_writers;
	s->moved_by_worker = st.moved_by_worker;
	s->max_chain = st.max_chain;
	memcpy(s->chain_hist, st.chain_hist, sizeof(s->chain_hist));
	s->max_entries = dev->max_entries;
	s->max_bytes = dev->max_bytes;
	s->max_bucket_lock_ns = st.max_bucket_lock_ns;
	return 0;
}

static int cmap_ioc_clear(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	cmap_clear(dev->map);
	return 0;
}

static int cmap_ioc_info(struct cmap_dev *dev, union cmap_ioc_arg *arg);

#define CMAP_IOC(_nr, _fn, _type, _last, _flags, _out, _write)		\
	[_nr] = {							\
		.fn = _fn,						\
		.ksize = sizeof(_type),					\
		.min_size = offsetofend(_type, _last),			\
		.flags = _flags,					\
		.out = _out,						\
		.write = _write,					\
	}

/* A batch command: struct cmap_batch, its outputs always written back. */
#define CMAP_IOC_BATCH(_nr, _fn, _write)				\
	[_nr] = {							\
		.fn = _fn,						\
		.ksize = sizeof(struct cmap_batch),			\
		.min_size = offsetofend(struct cmap_batch, op_size),	\
		.out = CMAP_OUT_ALWAYS,					\
		.write = _write,					\
		.batch = true,						\
	}

/* Indexed by command number; the last member named is the oldest end. */
static const struct cmap_ioc cmap_iocs[] = {
	CMAP_IOC(CMAP_CMD_INFO, cmap_ioc_info, struct cmap_info, flags,
		 0, CMAP_OUT_OK, false),
	CMAP_IOC(CMAP_CMD_GET, cmap_ioc_get, struct cmap_get, __reserved,
		 0, CMAP_OUT_ALWAYS, false),
	CMAP_IOC(CMAP_CMD_PUT, cmap_ioc_put, struct cmap_put, value_len,
		 CMAP_PUT_FLAGS, CMAP_OUT_NONE, true),
	CMAP_IOC(CMAP_CMD_DELETE, cmap_ioc_delete, struct cmap_delete,
		 __reserved, 0, CMAP_OUT_NONE, true),
	CMAP_IOC_BATCH(CMAP_CMD_BATCH_GET, cmap_ioc_batch_get, false),
	CMAP_IOC_BATCH(CMAP_CMD_BATCH_PUT, cmap_ioc_batch_put, true),
	CMAP_IOC_BATCH(CMAP_CMD_BATCH_DELETE, cmap_ioc_batch_delete, true),
	CMAP_IOC(CMAP_CMD_SCAN, cmap_ioc_scan, struct cmap_scan, out_flags,
		 0, CMAP_OUT_ALWAYS, false),
	CMAP_IOC(CMAP_CMD_STATS, cmap_ioc_stats, struct cmap_stats, flags,
		 0, CMAP_OUT_OK, false),
	CMAP_IOC(CMAP_CMD_CLEAR, cmap_ioc_clear, struct cmap_clear, flags,
		 0, CMAP_OUT_NONE, true),
};

static int cmap_ioc_info(struct cmap_dev *dev, union cmap_ioc_arg *arg)
{
	struct cmap_info *info = &arg->info;
	unsigned int nr;

	if (!cmap_out_size_ok(info->size, sizeof(*info),
			      offsetofend(struct cmap_info, max_entries)))
		return -EINVAL;
	info->abi_version = CMAP_ABI_VERSION;
	info->key_max = CMAP_KEY_MAX;
	info->value_max = CMAP_VALUE_MAX;
	info->max_entries = dev->max_entries;
	info->max_bytes = dev->max_bytes;
	info->features = CMAP_FEAT_SCAN_ONCE | CMAP_FEAT_SHRINK |
			 CMAP_FEAT_MEMCG;
	info->commands = 0;
	for (nr = 0; nr < ARRAY_SIZE(cmap_iocs); nr++)
		if (cmap_iocs[nr].fn)
			info->commands |= 1ULL << nr;
	return 0;
}

/*
 * The row of @cmd, or NULL if it is not a cmap command. Decoding is
 * strict: a command's number is _IO(CMAP_IOC_MAGIC, nr) and nothing else,
 * so no size or direction bits make another number alias it.
 */
static const struct cmap_ioc *cmap_ioc_find(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	if (cmd != _IO(CMAP_IOC_MAGIC, nr) || nr >= ARRAY_SIZE(cmap_iocs))
		return NULL;
	nr = array_index_nospec(nr, ARRAY_SIZE(cmap_iocs));
	return cmap_iocs[nr].fn ? &cmap_iocs[nr] : NULL;
}

/*
 * A batch refused before its first operation still tells where to resume
 * (uapi): its count is 0, written if the caller's size reaches it. The
 * size is read again here; a caller that changes it meanwhile only moves
 * where its own structure gets the zero. A fault is ignored: the caller
 * gets the error that refused the batch.
 */
static void cmap_batch_refused(void __user *argp)
{
	struct cmap_batch __user *ub = argp;
	u32 usize;

	if (!get_user(usize, &ub->size) &&
	    usize >= offsetofend(struct cmap_batch, count))
		put_user(0U, &ub->count);
}

/* Check the file's mode, copy the argument in and check its header. */
static int cmap_ioc_copy_in(struct file *file, const struct cmap_ioc *ioc,
			    void __user *argp, union cmap_ioc_arg *karg,
			    u32 *usize)
{
	int err;

	if (ioc->write && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (get_user(*usize, (u32 __user *)argp))
		return -EFAULT;
	if (*usize < ioc->min_size)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(karg, ioc->ksize, argp, *usize);
	if (err)
		return err;
	if (karg->hdr.flags & ~ioc->flags)
		return -EINVAL;
	return 0;
}

/*
 * Decode, copy in, check, dispatch, copy out. The number says only which
 * command it is: the structure's own size member says which version.
 */
static long cmap_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long uarg)
{
	struct cmap_dev *dev = container_of(file->private_data,
					    struct cmap_dev, misc);
	void __user *argp = (void __user *)uarg;
	const struct cmap_ioc *ioc;
	union cmap_ioc_arg karg;
	u32 usize;
	int err;

	ioc = cmap_ioc_find(cmd);
	if (!ioc)
		return -ENOTTY;
	err = cmap_ioc_copy_in(file, ioc, argp, &karg, &usize);
	if (err) {
		if (ioc->batch)
			cmap_batch_refused(argp);
		return err;
	}

	err = ioc->fn(dev, &karg);

	if (ioc->out == CMAP_OUT_ALWAYS || (ioc->out == CMAP_OUT_OK && !err)) {
		/* Only within the caller's structure; keep the first error. */
		if (copy_to_user(argp, &karg, min(usize, ioc->ksize)) && !err)
			err = -EFAULT;
	}
	return err;
}

const struct file_operations cmap_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = cmap_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Every argument structure starts with struct cmap_ioc_hdr. */
#define CMAP_HDR_CHECK(type)						\
	static_assert(offsetof(type, size) == 0 &&			\
		      offsetof(type, flags) == sizeof(__u32))
CMAP_HDR_CHECK(struct cmap_info);
CMAP_HDR_CHECK(struct cmap_get);
CMAP_HDR_CHECK(struct cmap_put);
CMAP_HDR_CHECK(struct cmap_delete);
CMAP_HDR_CHECK(struct cmap_batch);
CMAP_HDR_CHECK(struct cmap_scan);
CMAP_HDR_CHECK(struct cmap_stats);
CMAP_HDR_CHECK(struct cmap_clear);

/* cmap_out_size_ok(): __u32 members, then only __u64 members. */
static_assert(offsetof(struct cmap_info, max_bytes) ==
	      offsetofend(struct cmap_info, max_entries));
static_assert(IS_ALIGNED(sizeof(struct cmap_info) -
			 offsetof(struct cmap_info, max_bytes), sizeof(__u64)));
static_assert(offsetof(struct cmap_stats, entries) ==
	      offsetofend(struct cmap_stats, flags));
static_assert(IS_ALIGNED(sizeof(struct cmap_stats) -
			 offsetof(struct cmap_stats, entries), sizeof(__u64)));

/* Strict decoding: each command is _IO(CMAP_IOC_MAGIC, its number). */
#define CMAP_NR_CHECK(ioc, nr)						\
	static_assert((ioc) == _IO(CMAP_IOC_MAGIC, (nr)))
CMAP_NR_CHECK(CMAP_IOC_INFO, CMAP_CMD_INFO);
CMAP_NR_CHECK(CMAP_IOC_GET, CMAP_CMD_GET);
CMAP_NR_CHECK(CMAP_IOC_PUT, CMAP_CMD_PUT);
CMAP_NR_CHECK(CMAP_IOC_DELETE, CMAP_CMD_DELETE);
CMAP_NR_CHECK(CMAP_IOC_BATCH_GET, CMAP_CMD_BATCH_GET);
CMAP_NR_CHECK(CMAP_IOC_BATCH_PUT, CMAP_CMD_BATCH_PUT);
CMAP_NR_CHECK(CMAP_IOC_BATCH_DELETE, CMAP_CMD_BATCH_DELETE);
CMAP_NR_CHECK(CMAP_IOC_SCAN, CMAP_CMD_SCAN);
CMAP_NR_CHECK(CMAP_IOC_STATS, CMAP_CMD_STATS);
CMAP_NR_CHECK(CMAP_IOC_CLEAR, CMAP_CMD_CLEAR);
