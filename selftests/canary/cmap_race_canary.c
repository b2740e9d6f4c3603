// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately racy module, never part of cmap: the test harness loads it
 * in the KCSAN guest to prove that the race checker is armed and that the
 * harness finds and names the report. Two kthreads touch one counter with
 * plain, value-changing accesses: canary_write() increments it while
 * canary_read() reads it. KCSAN must report
 * "BUG: KCSAN: data-race in canary_read / canary_write".
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>

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
	kthread_stop(canary_threads[1]);
	kthread_stop(canary_threads[0]);
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_DESCRIPTION("cmap test harness: a planted data race for KCSAN");
MODULE_LICENSE("GPL");
