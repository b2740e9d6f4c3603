// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately racy module, never part of cmap: the test harness loads it
 * in the KCSAN guest to prove that the race checker is armed and that the
 * harness finds and names the report. Two kthreads touch one counter with
 * plain, value-changing accesses: canary_write() increments it while
 * canary_read() reads it. KCSAN must report
 * "BUG: KCSAN: data-race in canary_read / canary_write".
 *
 * With lockdep=1 it plants a lock-order inversion instead, for lockdep:
 * one thread takes two mutexes in one order, then in the other (never
 * concurrently, so nothing deadlocks). Lockdep must report "possible
 * circular locking dependency detected" in canary_lock_ba().
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>

static bool canary_lockdep;
module_param_named(lockdep, canary_lockdep, bool, 0444);
MODULE_PARM_DESC(lockdep, "plant a lock-order inversion for lockdep instead of the data race");

static DEFINE_MUTEX(canary_a);
static DEFINE_MUTEX(canary_b);

static noinline void canary_lock_ab(void)
{
	mutex_lock(&canary_a);
	mutex_lock(&canary_b);
	mutex_unlock(&canary_b);
	mutex_unlock(&canary_a);
}

static noinline void canary_lock_ba(void)
{
	mutex_lock(&canary_b);
	mutex_lock(&canary_a);	/* the planted inversion: b -> a after a -> b */
	mutex_unlock(&canary_a);
	mutex_unlock(&canary_b);
}

static unsigned long canary_counter;
static unsigned long canary_sink;
static struct task_struct *canary_threads[2];

static noinline void canary_write(void)
{
	canary_counter++;	/* the planted race: a plain read-modify-write */
}

static noinline void canary_read(void)
{
	canary_sink += canary_counter;	/* ... racing a plain read */
}

static int canary_loop(void *arg)
{
	void (*access)(void) = arg;

	while (!kthread_should_stop()) {
		access();
		cond_resched();
	}
	return 0;
}

static int __init canary_init(void)
{
	if (canary_lockdep) {
		canary_lock_ab();
		canary_lock_ba();
		return 0;
	}
	canary_threads[0] = kthread_run(canary_loop, canary_write, "canary_w");
	if (IS_ERR(canary_threads[0]))
		return PTR_ERR(canary_threads[0]);
	canary_threads[1] = kthread_run(canary_loop, canary_read, "canary_r");
	if (IS_ERR(canary_threads[1])) {
		kthread_stop(canary_threads[0]);
		return PTR_ERR(canary_threads[1]);
	}
	return 0;
}

static void __exit canary_exit(void)
{
	if (canary_lockdep)
		return;
	kthread_stop(canary_threads[1]);
	kthread_stop(canary_threads[0]);
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_DESCRIPTION("cmap test harness: a planted data race for KCSAN, a lock inversion for lockdep");
MODULE_LICENSE("GPL");
