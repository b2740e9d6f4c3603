/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel API for kmod/cmap_core.c and kmod/cmap_test.c
 * to build and run in user space (the tools/testing/radix-tree pattern):
 *
 *   RCU           -> liburcu (urcu-memb flavour): read locks, call_rcu,
 *                    rcu_barrier. Pointer publication uses __atomic
 *                    release/acquire so ThreadSanitizer sees it, and the
 *                    grace period is modelled for TSan by a release on
 *                    rcu_read_unlock() and an acquire before each callback.
 *   spinlock/mutex-> pthread_mutex
 *   percpu_counter-> lib/percpu_counter.c's algorithm over per-thread
 *                    slots, its slow paths counted
 *   workqueue     -> one pthread running delayed work items in time order
 *   kthread       -> pthread (registered with liburcu)
 *   kmalloc       -> malloc, with a fault-injection knob (shim_fail_*),
 *                    live bytes counted at the slab's rounded sizes
 *   memcg         -> nothing (no cgroup to charge)
 *   lockdep, tracepoints, exports, module params -> nothing
 *
 * Every shim header under linux/ includes this one file.
 */
#ifndef CMAP_SHIM_H
#define CMAP_SHIM_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <urcu/urcu-memb.h>

#include <linux/types.h>	/* shim: uapi __u8 .. __u64, __aligned_u64 */

/* ---- types and compiler ---- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef unsigned int uint;

#define __rcu
#define __force
#define __user
#define __init
#define __exit
#define __packed		__attribute__((packed))
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define noinline		__attribute__((noinline))
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has one */
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define fallthrough		__attribute__((__fallthrough__))

#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define U32_MAX			((u32)~0U)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)		(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)
#define WARN_ON(c)		({ bool __c = (c); if (__c) \
				   fprintf(stderr, "WARNING %s:%d %s\n", \
					   __FILE__, __LINE__, #c); __c; })
#define WARN_ON_ONCE(c)		WARN_ON(c)

#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))

static inline u32 rol32(u32 w, unsigned int s)
{
	return (w << (s & 31)) | (w >> ((-s) & 31));
}

static inline u32 bitrev32(u32 x)
{
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
	x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
	return __builtin_bswap32(x);
}

#define ilog2(n)		(31 - __builtin_clz((u32)(n)))
static inline u32 roundup_pow_of_two(u32 n)
{
	return n <= 1 ? 1 : 1U << (32 - __builtin_clz(n - 1));
}

static inline int kstrtoul(const char *s, unsigned int base,
			   unsigned long *res)
{
	char *end;

	errno = 0;
	*res = strtoul(s, &end, base);
	return end == s || *end || errno ? -EINVAL : 0;
}

/* ---- errors ---- */
#define MAX_ERRNO		4095
#define ERR_PTR(e)		((void *)(long)(e))
#define PTR_ERR(p)		((long)(p))
#define IS_ERR(p)		((unsigned long)(p) >= (unsigned long)-MAX_ERRNO)
#define IS_ERR_OR_NULL(p)	(!(p) || IS_ERR(p))

/* ---- printing, module, export, error injection, tracing ---- */
#define KERN_INFO		""
#define pr_info(fmt, ...)	(printf(fmt, ##__VA_ARGS__), fflush(stdout))
#define pr_err(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define EXPORT_SYMBOL_GPL(s)
#define ALLOW_ERROR_INJECTION(f, t)
#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
#define MODULE_AUTHOR(s)
#define MODULE_PARM_DESC(v, s)
#define module_param(v, t, p)
#define module_init(fn)		int cmap_shim_module_init(void) { return fn(); }
#define module_exit(fn)		void cmap_shim_module_exit(void) { fn(); }

/* ---- ThreadSanitizer annotations ---- */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define shim_tsan_acquire(a)	__tsan_acquire(a)
#define shim_tsan_release(a)	__tsan_release(a)
#else
#define shim_tsan_acquire(a)	do { (void)(a); } while (0)
#define shim_tsan_release(a)	do { (void)(a); } while (0)
#endif

/* ---- memory ordering and RCU ---- */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
/* the shim's counters use atomics: nothing for a race detector to see */
#define data_race(expr)		(expr)
/* KCSAN's locking-rule assertions: ThreadSanitizer sees the stores anyway */
#define ASSERT_EXCLUSIVE_WRITER(var)	do { (void)&(var); } while (0)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#if defined(__SANITIZE_THREAD__)
/*
 * TSan does not model fences. The shim's rcu_dereference() is an acquire
 * load, so every later load is already ordered after it: what smp_rmb()
 * adds in the kernel (reads before it happen before reads after it) holds.
 */
#define smp_rmb()		__atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_read_lock
#undef rcu_read_unlock
#undef call_rcu
#undef rcu_barrier
#undef synchronize_rcu
#undef rcu_register_thread
#undef rcu_unregister_thread

extern int shim_rcu_token;

#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_raw(p)	rcu_dereference(p)
#define rcu_dereference_check(p, c)	rcu_dereference(p)
/* Lock held, as in the kernel: a plain load (so races on it are visible). */
#define rcu_dereference_protected(p, c)	(p)
#define rcu_access_pointer(p)	rcu_dereference(p)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

static inline void rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void rcu_read_unlock(void)
{
	shim_tsan_release(&shim_rcu_token);
	urcu_memb_read_unlock();
}

void shim_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *));
#define call_rcu(h, fn)		shim_call_rcu(h, fn)
void rcu_barrier(void);
void synchronize_rcu(void);

/* ---- locks ---- */
typedef struct { pthread_mutex_t m; } spinlock_t;
struct mutex { pthread_mutex_t m; };
#define SINGLE_DEPTH_NESTING	1
#define spin_lock_init(l)	pthread_mutex_init(&(l)->m, NULL)
#define spin_lock(l)		pthread_mutex_lock(&(l)->m)
#define spin_lock_nested(l, s)	spin_lock(l)
#define spin_unlock(l)		pthread_mutex_unlock(&(l)->m)
#define mutex_init(l)		pthread_mutex_init(&(l)->m, NULL)
#define mutex_destroy(l)	pthread_mutex_destroy(&(l)->m)
#define mutex_lock(l)		pthread_mutex_lock(&(l)->m)
#define mutex_unlock(l)		pthread_mutex_unlock(&(l)->m)
#define lockdep_is_held(l)	((void)(l), 1)
#define lockdep_assert_held(l)	do { (void)(l); } while (0)
#define might_sleep()		do { } while (0)
#define cond_resched()		do { } while (0)

/* ---- atomics ---- */
typedef struct { int counter; } atomic_t;
#define atomic_read(a)		__atomic_load_n(&(a)->counter, __ATOMIC_RELAXED)
#define atomic_set(a, v)	__atomic_store_n(&(a)->counter, (v), __ATOMIC_RELAXED)
#define atomic_add(v, a)	((void)__atomic_fetch_add(&(a)->counter, (v), __ATOMIC_RELAXED))
#define atomic_inc(a)		atomic_add(1, a)
#define atomic_inc_return(a)	__atomic_add_fetch(&(a)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_fetch_inc(a)	__atomic_fetch_add(&(a)->counter, 1, __ATOMIC_SEQ_CST)
typedef struct { s64 counter; } atomic64_t;
#define atomic64_read(a)	__atomic_load_n(&(a)->counter, __ATOMIC_RELAXED)
#define atomic64_try_cmpxchg(a, old, new) \
	__atomic_compare_exchange_n(&(a)->counter, (old), (new), false, \
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)

/*
 * ---- percpu_counter: lib/percpu_counter.c over per-thread "CPUs" ----
 * Each thread is given one of SHIM_NR_CPUS slots (round robin: threads
 * beyond that share, as tasks share a CPU). An add goes to the thread's
 * slot while the slot stays below the batch (a compare-and-swap loop, the
 * kernel's this_cpu_try_cmpxchg()); once it would reach the batch, the
 * slot is folded into the global count under the counter's lock (the
 * kernel's raw spinlock, taken with IRQs off). A sum takes that lock too.
 * Both slow paths are counted (shim_pcpu_folds, shim_pcpu_sums), so a test
 * can tell how often an update path took the shared lock.
 */
#define SHIM_NR_CPUS		8
struct percpu_counter {
	pthread_mutex_t lock;
	s64 count;		/* written under @lock, read without it */
	s32 *counters;		/* SHIM_NR_CPUS slots */
};
/* slow paths taken by every counter so far: folds into ->count, and sums */
extern u64 shim_pcpu_folds;
extern u64 shim_pcpu_sums;
#define percpu_counter_batch	32	/* the kernel's: max(32, 2 * CPUs) */
int percpu_counter_init(struct percpu_counter *c, s64 v, gfp_t g);
void percpu_counter_destroy(struct percpu_counter *c);
void percpu_counter_add_batch(struct percpu_counter *c, s64 v, s32 batch);
#define percpu_counter_add(c, v) \
	percpu_counter_add_batch(c, v, percpu_counter_batch)
#define percpu_counter_read(c)		__atomic_load_n(&(c)->count, __ATOMIC_RELAXED)
s64 percpu_counter_sum(struct percpu_counter *c);
static inline s64 percpu_counter_read_positive(struct percpu_counter *c)
{
	s64 v = percpu_counter_read(c);

	return v > 0 ? v : 0;
}
static inline s64 percpu_counter_sum_positive(struct percpu_counter *c)
{
	s64 v = percpu_counter_sum(c);

	return v > 0 ? v : 0;
}
/* As the kernel's, with SHIM_NR_CPUS for num_online_cpus(). */
static inline int __percpu_counter_compare(struct percpu_counter *c, s64 rhs,
					   s32 batch)
{
	s64 v = percpu_counter_read(c);

	if (llabs(v - rhs) > (s64)batch * SHIM_NR_CPUS)
		return v > rhs ? 1 : -1;
	v = percpu_counter_sum(c);
	return v > rhs ? 1 : v < rhs ? -1 : 0;
}

/*
 * ---- memory, with fault injection and the slab's sizes ----
 * kmalloc_size_roundup() gives the size SLUB on x86-64 really uses: the
 * kmalloc cache (8, 16, 32, 64, 96, 128, 192, 256, 512 .. 8192 bytes), or
 * whole pages in a power-of-two order above 8 KiB, up to KMALLOC_MAX_SIZE.
 * The shim allocates what was asked (so ASan still sees every overflow)
 * and counts the rounded size of every live kmalloc/kvmalloc block in
 * shim_alloc_bytes: kvmalloc is modelled as its kmalloc attempt, and above
 * KMALLOC_MAX_SIZE as vmalloc (whole pages).
 */
#define GFP_KERNEL		0x1u
#define __GFP_ACCOUNT		0x2u
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define __GFP_NOWARN		0x100u
#define PAGE_SIZE		4096UL
#define PAGE_ALIGN(x)		ALIGN((x), PAGE_SIZE)
#define KMALLOC_MAX_SIZE	(PAGE_SIZE << 10)
/* > 0: fail that many of the next allocations of the kind; < 0: all */
extern int shim_fail_kmalloc;
extern int shim_fail_kvmalloc;
/* while non-zero, kvmalloc waits; shim_stalled counts the waiting callers */
extern int shim_stall_kvmalloc;
extern int shim_stalled;
/* rounded sizes of the live kmalloc/kvmalloc blocks */
extern s64 shim_alloc_bytes;
size_t kmalloc_size_roundup(size_t size);
void *shim_alloc(size_t size, bool zero, int *fail);
void shim_free(void *p);
#define kmalloc(s, g)		shim_alloc(s, false, &shim_fail_kmalloc)
#define kzalloc(s, g)		shim_alloc(s, true, &shim_fail_kmalloc)
#define kcalloc(n, s, g)	kzalloc((size_t)(n) * (s), g)
#define kvmalloc(s, g)		shim_alloc(s, false, &shim_fail_kvmalloc)
#define kvzalloc(s, g)		shim_alloc(s, true, &shim_fail_kvmalloc)
#define kvmalloc_array(n, s, g)	kvmalloc((size_t)(n) * (s), g)
#define kvcalloc(n, s, g)	kvzalloc((size_t)(n) * (s), g)
#define kfree(p)		shim_free(p)
#define kvfree(p)		shim_free(p)
/* kvmalloc is its kmalloc attempt here, vmalloc only above KMALLOC_MAX_SIZE */
#define is_vmalloc_addr(p)	((void)(p), false)

/* ---- memory cgroups: none in user space ---- */
struct mm_struct;
struct mem_cgroup;
struct shim_task { struct mm_struct *mm; };
extern struct shim_task shim_task;
#define current			(&shim_task)
#define get_mem_cgroup_from_mm(mm)	((void)(mm), (struct mem_cgroup *)NULL)
#define mem_cgroup_put(m)	((void)(m))
static inline struct mem_cgroup *set_active_memcg(struct mem_cgroup *m)
{
	(void)m;
	return NULL;
}

/* ---- time and randomness ---- */
#define HZ			1000
u64 ktime_get_ns(void);
#define jiffies			((unsigned long)(ktime_get_ns() / 1000000))
#define msecs_to_jiffies(ms)	((unsigned long)(ms))
#define msleep(ms)		usleep((ms) * 1000)
#define num_online_cpus()	((unsigned int)sysconf(_SC_NPROCESSORS_ONLN))
static inline u32 get_random_u32(void)
{
	u32 v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (u32)ktime_get_ns();
	return v;
}

/* ---- workqueue: delayed work only ---- */
struct work_struct {
	void (*func)(struct work_struct *);
};
struct delayed_work {
	struct work_struct work;
	u64 due_ns;
	bool pending;
	bool running;
	struct delayed_work *next;
};
struct workqueue_struct;
extern struct workqueue_struct *system_unbound_wq;
#define to_delayed_work(w)	container_of(w, struct delayed_work, work)
#define INIT_DELAYED_WORK(d, fn) \
	do { memset(d, 0, sizeof(*(d))); (d)->work.func = (fn); } while (0)
bool delayed_work_pending(struct delayed_work *dw);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay);
bool cancel_delayed_work_sync(struct delayed_work *dw);

/* ---- kthreads ---- */
struct task_struct;
struct task_struct *shim_kthread_run(int (*fn)(void *), void *data);
#define kthread_run(fn, data, ...)	shim_kthread_run(fn, data)
int kthread_stop(struct task_struct *t);
bool kthread_should_stop(void);

#endif /* CMAP_SHIM_H */
