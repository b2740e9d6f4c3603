// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-line half of the user-space shim (see cmap_shim.h): call_rcu
 * with TSan annotations, the delayed-work thread, kthreads, allocation
 * with fault injection.
 */
#include <cmap_shim.h>

int shim_rcu_token;
int shim_fail_kmalloc;
int shim_fail_kvmalloc;
struct workqueue_struct *system_unbound_wq;

/* ---- allocation ---- */

void *shim_alloc(size_t size, bool zero, int *fail)
{
	int f = __atomic_load_n(fail, __ATOMIC_RELAXED);

	if (f < 0)
		return NULL;
	if (f > 0 && __atomic_fetch_sub(fail, 1, __ATOMIC_RELAXED) > 0)
		return NULL;
	return zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
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
