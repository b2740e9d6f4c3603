/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: each TRACE_EVENT() becomes an empty inline trace_<name>() */
#include <cmap_shim.h>
#ifndef CMAP_SHIM_TRACEPOINT_H
#define CMAP_SHIM_TRACEPOINT_H
#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_EVENT(name, proto, args, tstruct, assign, print) \
	static inline void trace_##name(proto) { }
#endif
