# SPDX-License-Identifier: GPL-2.0
#
# The map core (kmod/cmap_core.c) built in user space over this shim and
# liburcu (urcu-memb flavour): the one definition of its sources, include
# path, flags and libraries. Included by userspace/coretest/Makefile (the
# unit tests) and userspace/bench/Makefile (native_bench), so the core that
# is benchmarked is the core that is tested.
#
#   CORE_SRCS      the core and the shim's functions
#   CORE_HDRS      what they depend on (kmod/*.h and the shim headers)
#   CORE_CPPFLAGS  shim first on the include path, the kernel's jhash.h
#   CORE_CFLAGS    warnings, language, threads (add -O2 or sanitizers)
#   CORE_LDLIBS    liburcu-memb
#
# KSRC: unpacked kernel source, for include/linux/jhash.h.

CMAP_SHIM := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CMAP_TOP := $(abspath $(CMAP_SHIM)/../..)
ifndef KSRC
KSRC := $(shell $(CMAP_TOP)/selftests/vm/build-kernel.sh --source)
endif

CORE_SRCS := $(CMAP_TOP)/kmod/cmap_core.c $(CMAP_SHIM)/shim.c \
	$(CMAP_SHIM)/siphash.c
CORE_HDRS := $(wildcard $(CMAP_TOP)/kmod/*.h $(CMAP_SHIM)/*.h \
	$(CMAP_SHIM)/*/*.h $(CMAP_SHIM)/*/*/*.h) $(CMAP_SHIM)/core.mk
CORE_CPPFLAGS := -I$(CMAP_SHIM) -I$(CMAP_TOP)/kmod -I$(CMAP_TOP)/uapi \
	-DCMAP_KERNEL_JHASH_H='"$(KSRC)/include/linux/jhash.h"'
CORE_CFLAGS := -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	-Wno-sign-compare -Wno-missing-field-initializers -pthread
CORE_LDLIBS := -lurcu-memb -lurcu-common -pthread
