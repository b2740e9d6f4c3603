# SPDX-License-Identifier: GPL-2.0
#
# cmap's front door. The two commands of the README:
#   make run     build what is needed, boot the KCSAN guest, run the main job
#   make check   every test, as one TAP stream (what CI runs)
# Both install what is missing first (selftests/vm/setup-host.sh). Kernels are
# cached outside the checkout in $(CMAP_CACHE).
#
# Also:
#   make modules K=kcsan|kasan|stock   build cmap.ko against one kernel
#   make kernel K=kcsan|kasan          build (or find cached) a debug kernel
#   make unit                          the userspace layer alone (seconds)
#   make lkmm                          the litmus tests under the kernel's
#                                      memory model (herd7)
#   make checks GROUPS="kcsan canary"  a subset of make check's groups
#   make soak DURATION=3600            cmap-hammer for DURATION s per guest and
#                                      the reliability tests at full volume
#   make bench                         every benchmark (stock kernel guest)
#   make bench-quick                   the same pipeline, small sizes
#   make vm K=kasan CMD='...'          run one command in a guest

export CMAP_CACHE ?= /var/cache/cmap
K ?= kcsan
VM := selftests/vm

.PHONY: all run check checks soak bench bench-quick setup kernel modules \
	userspace unit lkmm vm clean help

DURATION ?= 3600

all: modules userspace

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@$(VM)/setup-host.sh

kernel: setup
	@$(VM)/build-kernel.sh $(K)

modules: setup
	@$(VM)/build-modules.sh $(K)

userspace: setup
	@$(MAKE) -s -C userspace

unit: setup
	@selftests/run-checks.sh unit

lkmm: setup
	@selftests/lkmm/run.sh

check: setup
	@selftests/run-checks.sh

checks: setup
	@selftests/run-checks.sh $(GROUPS)

soak: setup
	@CMAP_SOAK=$(DURATION) selftests/run-checks.sh build hammer reliability

bench: setup
	@userspace/bench/bench.sh full

bench-quick: setup
	@userspace/bench/bench.sh quick

run: setup
	@$(VM)/build-modules.sh kcsan
	@$(MAKE) -s -C userspace
	@$(VM)/vm-run.sh --kernel kcsan --smp 4 --timeout 600 -- selftests/guest/demo.sh

vm: setup
	@$(VM)/build-modules.sh $(K)
	@$(VM)/vm-run.sh --kernel $(K) --smp 4 --timeout 600 -- '$(CMD)'

clean:
	rm -rf build
