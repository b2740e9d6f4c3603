/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap tracepoints: resizes and migration steps. Use as perf -e 'cmap:*'.
 * CREATE_TRACE_POINTS is defined in exactly one file, cmap_core.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cmap

#if !defined(_CMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CMAP_TRACE_H

#include <linux/tracepoint.h>

/*
 * cmap_resize_start - a future table was published
 * @map:      the map
 * @old_size: buckets of the current table
 * @new_size: buckets of the future table
 * @grow:     true for a grow, false for a shrink
 */
TRACE_EVENT(cmap_resize_start,
	    TP_PROTO(const void *map, u32 old_size, u32 new_size, bool grow),
	    TP_ARGS(map, old_size, new_size, grow),
	    TP_STRUCT__entry(__field(const void *, map)
			     __field(u32, old_size)
			     __field(u32, new_size)
			     __field(bool, grow)),
	    TP_fast_assign(__entry->map = map;
			   __entry->old_size = old_size;
			   __entry->new_size = new_size;
			   __entry->grow = grow;),
	    TP_printk("map=%p old=%u new=%u reason=%s", __entry->map,
		      __entry->old_size, __entry->new_size,
		      __entry->grow ? "grow" : "shrink")
);

/*
 * cmap_migrate - buckets moved to the future table by one writer call or
 * one worker chunk
 * @map:       the map
 * @buckets:   buckets migrated
 * @entries:   entries moved with them
 * @by_worker: true for the background worker, false for a writer
 */
TRACE_EVENT(cmap_migrate,
	    TP_PROTO(const void *map, u32 buckets, u32 entries, bool by_worker),
	    TP_ARGS(map, buckets, entries, by_worker),
	    TP_STRUCT__entry(__field(const void *, map)
			     __field(u32, buckets)
			     __field(u32, entries)
			     __field(bool, by_worker)),
	    TP_fast_assign(__entry->map = map;
			   __entry->buckets = buckets;
			   __entry->entries = entries;
			   __entry->by_worker = by_worker;),
	    TP_printk("map=%p buckets=%u entries=%u by=%s", __entry->map,
		      __entry->buckets, __entry->entries,
		      __entry->by_worker ? "worker" : "writer")
);

/*
 * cmap_resize_end - the future table became the current one
 * @map:         the map
 * @old_size:    buckets of the retired table
 * @new_size:    buckets of the new current table
 * @duration_ns: time since cmap_resize_start
 * @entries:     entries moved by the migration
 */
TRACE_EVENT(cmap_resize_end,
	    TP_PROTO(const void *map, u32 old_size, u32 new_size, u64 duration_ns, u32 entries),
	    TP_ARGS(map, old_size, new_size, duration_ns, entries),
	    TP_STRUCT__entry(__field(const void *, map)
			     __field(u32, old_size)
			     __field(u32, new_size)
			     __field(u64, duration_ns)
			     __field(u32, entries)),
	    TP_fast_assign(__entry->map = map;
			   __entry->old_size = old_size;
			   __entry->new_size = new_size;
			   __entry->duration_ns = duration_ns;
			   __entry->entries = entries;),
	    TP_printk("map=%p old=%u new=%u duration_ns=%llu entries=%u",
		      __entry->map, __entry->old_size, __entry->new_size,
		      (unsigned long long)__entry->duration_ns, __entry->entries)
);

#endif /* _CMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE cmap_trace
#include <trace/define_trace.h>
