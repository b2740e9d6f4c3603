// SPDX-License-Identifier: GPL-2.0
/*
 * Runs kmod/cmap_test.c in user space: its module_init() becomes
 * cmap_shim_module_init() (see userspace/shim/cmap_shim.h). Exit status 0
 * if every assertion passed, 1 otherwise.
 */
#include <stdio.h>
#include <urcu/urcu-memb.h>

int shim_siphash_selftest(void);

int cmap_shim_module_init(void);

int main(void)
{
	int err, sip;

	/* the shim's SipHash first: the core's hash is only as good as it */
	sip = shim_siphash_selftest();
	if (sip)
		printf("not ok 0 - shim: SipHash-2-4 reference vectors (vector %d differs)\n",
		       sip - 1);
	else
		printf("ok 0 - shim: SipHash-2-4 reference vectors\n");
	urcu_memb_register_thread();
	err = cmap_shim_module_init();
	urcu_memb_unregister_thread();
	return err || sip ? 1 : 0;
}
