// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-line half of the user-space shim (see cmap_shim.h): call_rcu
 * with TSan annotations, the delayed-work thread, kthreads, allocation
 * with fault injection and rounded sizes, percpu_counter.
 */
#include <cmap_shim.h>

int shim_rcu_token;
int shim_fail_kmalloc;
int shim_fail_kvmalloc;
int shim_stall_kvmalloc;
int shim_stalled;
s64 shim_alloc_bytes;
u64 shim_pcpu_folds;
u64 shim_pcpu_sums;
struct shim_task shim_task;
struct workqueue_struct *system_unbound_wq;

/* ---- allocation ---- */

/*
 * As mm/slab_common.c finds the kmalloc cache: a table for sizes up to
 * 192 (whose index 1 and 2 are the 96 and 192 byte caches, n the 2^n
 * byte one), a power of two above, whole pages past 8 KiB.
 */
size_t kmalloc_size_roundup(size_t size)
{
	static const u8 size_index[24] = {
		3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1,
		7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2,
	};
	size_t pages = PAGE_SIZE;
	unsigned int i;

	if (!size || size > KMALLOC_MAX_SIZE)
		return size;
	if (size <= 192) {
		i = size_index[(size - 1) / 8];
		return i == 1 ? 96 : i == 2 ? 192 : (size_t)1 << i;
	}
	if (size <= 8192)
		return (size_t)1 << (64 - __builtin_clzl(size - 1));
	while (pages < size)
		pages *= 2;
	return pages;
}

/*
 * Each block starts with a header holding its rounded size, so that
 * shim_free() can uncount it; 16 bytes keep malloc's alignment.
 */
#define SHIM_HDR	16

void *shim_alloc(size_t size, bool zero, int *fail)
{
	int f = __atomic_load_n(fail, __ATOMIC_RELAXED);
	size_t *h;

	if (f < 0)
		return NULL;
	if (f > 0 && __atomic_fetch_sub(fail, 1, __ATOMIC_RELAXED) > 0)
		return NULL;
	if (fail == &shim_fail_kvmalloc &&
	    __atomic_load_n(&shim_stall_kvmalloc, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&shim_stalled, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&shim_stall_kvmalloc, __ATOMIC_ACQUIRE))
			usleep(1000);
		__atomic_fetch_sub(&shim_stalled, 1, __ATOMIC_RELEASE);
	}
	h = zero ? calloc(1, SHIM_HDR + size) : malloc(SHIM_HDR + size);
	if (!h)
		return NULL;
	*h = size > KMALLOC_MAX_SIZE ? PAGE_ALIGN(size) :
	     kmalloc_size_roundup(size ? size : 1);
	__atomic_fetch_add(&shim_alloc_bytes, (s64)*h, __ATOMIC_RELAXED);
	return (char *)h + SHIM_HDR;
}

void shim_free(void *p)
{
	size_t *h;

	if (!p)
		return;
	h = (size_t *)((char *)p - SHIM_HDR);
	__atomic_fetch_sub(&shim_alloc_bytes, (s64)*h, __ATOMIC_RELAXED);
	free(h);
}

/* ---- percpu_counter (see cmap_shim.h) ---- */

static __thread int shim_cpu_slot = -1;
static int shim_next_cpu;

static int shim_this_cpu(void)
{
	if (shim_cpu_slot < 0)
		shim_cpu_slot = __atomic_fetch_add(&shim_next_cpu, 1,
						   __ATOMIC_RELAXED) %
				SHIM_NR_CPUS;
	return shim_cpu_slot;
}

int percpu_counter_init(struct percpu_counter *c, s64 v, gfp_t g)
{
	(void)g;
	c->counters = calloc(SHIM_NR_CPUS, sizeof(*c->counters));
	if (!c->counters)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->count = v;
	return 0;
}

void percpu_counter_destroy(struct percpu_counter *c)
{
	if (!c->counters)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->counters);
	c->counters = NULL;
}

/* lib/percpu_counter.c, CONFIG_HAVE_CMPXCHG_LOCAL flavour */
void percpu_counter_add_batch(struct percpu_counter *c, s64 amount, s32 batch)
{
	s32 *slot = &c->counters[shim_this_cpu()];
	s32 count = __atomic_load_n(slot, __ATOMIC_RELAXED);

	do {
		if (llabs(count + amount) >= batch) {
			pthread_mutex_lock(&c->lock);
			count = __atomic_exchange_n(slot, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&c->count, c->count + count + amount,
					 __ATOMIC_RELAXED);
			__atomic_fetch_add(&shim_pcpu_folds, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&c->lock);
			return;
		}
	} while (!__atomic_compare_exchange_n(slot, &count,
					      (s32)(count + amount), false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

s64 percpu_counter_sum(struct percpu_counter *c)
{
	s64 v;
	int i;

	pthread_mutex_lock(&c->lock);
	v = c->count;
	for (i = 0; i < SHIM_NR_CPUS; i++)
		v += __atomic_load_n(&c->counters[i], __ATOMIC_RELAXED);
	__atomic_fetch_add(&shim_pcpu_sums, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);
	return v;
}

u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- RCU ---- */

/*
 * liburcu's callback carries no context, so the kernel-style callback
 * travels in a side record. For TSan: the caller's writes happen before
 * the callback (release/acquire on the record), and every reader's
 * rcu_read_unlock() before it (release/acquire on shim_rcu_token).
 */
struct shim_cb {
	struct rcu_head head;
	struct rcu_head *khead;
	void (*fn)(struct rcu_head *);
};

/*
 * rcu_barrier(): liburcu's own urcu_memb_barrier() synchronises through
 * memory TSan cannot see, so the shim counts callbacks itself. liburcu runs
 * them FIFO on its single default call_rcu thread, so "done >= the number
 * queued when the barrier started" means all of those have run.
 */
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static u64 cb_queued, cb_done;

static void shim_rcu_tramp(struct rcu_head *head)
{
	struct shim_cb *cb = container_of(head, struct shim_cb, head);

	shim_tsan_acquire(cb);
	shim_tsan_acquire(&shim_rcu_token);
	cb->fn(cb->khead);
	free(cb);
	pthread_mutex_lock(&cb_lock);
	cb_done++;
	pthread_cond_broadcast(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

void shim_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	struct shim_cb *cb = malloc(sizeof(*cb));

	if (!cb)
		abort();
	cb->khead = head;
	cb->fn = fn;
	pthread_mutex_lock(&cb_lock);
	cb_queued++;
	pthread_mutex_unlock(&cb_lock);
	shim_tsan_release(cb);
	urcu_memb_call_rcu(&cb->head, shim_rcu_tramp);
}

void rcu_barrier(void)
{
	u64 target;

	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	while (cb_done < target)
		pthread_cond_wait(&cb_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
}

void synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	shim_tsan_acquire(&shim_rcu_token);
}

/* ---- delayed work: one thread, items in due-time order ---- */

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond = PTHREAD_COND_INITIALIZER;
static struct delayed_work *wq_head;
static pthread_t wq_thread;
static bool wq_started;

static void wq_unlink(struct delayed_work *dw)
{
	struct delayed_work **p;

	for (p = &wq_head; *p; p = &(*p)->next) {
		if (*p == dw) {
			*p = dw->next;
			return;
		}
	}
}

static struct delayed_work *wq_pick(void)
{
	struct delayed_work *dw, *best = NULL;

	for (dw = wq_head; dw; dw = dw->next)
		if (!best || dw->due_ns < best->due_ns)
			best = dw;
	return best;
}

static void wq_wait(u64 due_ns)
{
	struct timespec ts;
	u64 now = ktime_get_ns(), real;

	clock_gettime(CLOCK_REALTIME, &ts);
	real = (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec + (due_ns - now);
	ts.tv_sec = real / 1000000000ull;
	ts.tv_nsec = real % 1000000000ull;
	pthread_cond_timedwait(&wq_cond, &wq_lock, &ts);
}

static void *wq_main(void *arg)
{
	struct delayed_work *dw;

	(void)arg;
	urcu_memb_register_thread();
	pthread_mutex_lock(&wq_lock);
	for (;;) {
		dw = wq_pick();
		if (!dw) {
			pthread_cond_wait(&wq_cond, &wq_lock);
			continue;
		}
		if (dw->due_ns > ktime_get_ns()) {
			wq_wait(dw->due_ns);
			continue;
		}
		wq_unlink(dw);
		__atomic_store_n(&dw->pending, false, __ATOMIC_RELAXED);
		dw->running = true;
		pthread_mutex_unlock(&wq_lock);
		dw->work.func(&dw->work);
		pthread_mutex_lock(&wq_lock);
		dw->running = false;
		pthread_cond_broadcast(&wq_cond);
	}
	return NULL;
}

bool delayed_work_pending(struct delayed_work *dw)
{
	return __atomic_load_n(&dw->pending, __ATOMIC_RELAXED);
}

bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay)
{
	bool queued = false;

	(void)wq;
	pthread_mutex_lock(&wq_lock);
	if (!wq_started) {
		wq_started = true;
		pthread_create(&wq_thread, NULL, wq_main, NULL);
		pthread_detach(wq_thread);
	}
	if (!dw->pending) {
		__atomic_store_n(&dw->pending, true, __ATOMIC_RELAXED);
		dw->due_ns = ktime_get_ns() + (u64)delay * 1000000ull;
		dw->next = wq_head;
		wq_head = dw;
		queued = true;
		pthread_cond_broadcast(&wq_cond);
	}
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	bool was = false;

	pthread_mutex_lock(&wq_lock);
	for (;;) {
		if (dw->pending) {
			wq_unlink(dw);
			__atomic_store_n(&dw->pending, false, __ATOMIC_RELAXED);
			was = true;
		}
		if (!dw->running)
			break;
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
	return was;
}

/* ---- kthreads ---- */

struct task_struct {
	pthread_t thread;
	int (*fn)(void *);
	void *data;
	bool stop;
	int ret;
};

static __thread struct task_struct *shim_current;

static void *kthread_main(void *arg)
{
	struct task_struct *t = arg;

	shim_current = t;
	urcu_memb_register_thread();
	t->ret = t->fn(t->data);
	urcu_memb_unregister_thread();
	return NULL;
}

struct task_struct *shim_kthread_run(int (*fn)(void *), void *data)
{
	struct task_struct *t = calloc(1, sizeof(*t));

	if (!t)
		return ERR_PTR(-ENOMEM);
	t->fn = fn;
	t->data = data;
	if (pthread_create(&t->thread, NULL, kthread_main, t)) {
		free(t);
		return ERR_PTR(-EAGAIN);
	}
	return t;
}

bool kthread_should_stop(void)
{
	return shim_current && __atomic_load_n(&shim_current->stop,
					       __ATOMIC_ACQUIRE);
}

int kthread_stop(struct task_struct *t)
{
	int ret;

	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	pthread_join(t->thread, NULL);
	ret = t->ret;
	free(t);
	return ret;
}
