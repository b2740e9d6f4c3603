#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# console-check.sh LOG [--expect PATTERN]
# Without --expect: exit 0 iff the guest console LOG holds no kernel report.
# With --expect: exit 0 iff it holds a report matching PATTERN (an ERE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
log=${1:?usage: console-check.sh LOG [--expect PATTERN]}
findings=$repo/build/userspace/cmap-findings
if [ -x "$findings" ]; then
	if [ "${2:-}" = --expect ]; then
		exec "$findings" --expect "$3" "$log"
	fi
	exec "$findings" "$log"
fi
# Until the findings tool is built: the report banners, by grep.
banners='BUG: |WARNING: |Oops|general protection fault|Kernel panic|INFO: task .* blocked|rcu: INFO: .*stall|kernel BUG at|suspicious RCU usage|possible (circular|recursive)|inconsistent lock state|kmemleak: [0-9]+ new'
if [ "${2:-}" = --expect ]; then
	grep -E "$banners" "$log" | grep -E -- "$3"
else
	! grep -E "$banners" "$log"
fi
