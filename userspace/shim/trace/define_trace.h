/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: tracepoints are not created in user space */
