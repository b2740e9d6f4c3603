// SPDX-License-Identifier: GPL-2.0
/*
 * Runs kmod/cmap_test.c in user space: its module_init() becomes
 * cmap_shim_module_init() (see userspace/shim/cmap_shim.h). Exit status 0
 * if every assertion passed, 1 otherwise.
 */
#include <urcu/urcu-memb.h>

int cmap_shim_module_init(void);

int main(void)
{
	int err;

	urcu_memb_register_thread();
	err = cmap_shim_module_init();
	urcu_memb_unregister_thread();
	return err ? 1 : 0;
}
