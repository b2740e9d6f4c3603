#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# console-check.sh LOG [--expect CLASS|TITLE]...
# Check a guest's serial console with cmap-findings (userspace/findings):
# without --expect, exit 0 iff LOG holds no kernel report; with --expect,
# exit 0 iff every expected finding is there. The report is printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
findings=$repo/build/userspace/cmap-findings
[ -x "$findings" ] || make -s -C "$repo/userspace" >&2
log=${1:?usage: console-check.sh LOG [--expect CLASS|TITLE]...}
shift
exec "$findings" "$@" "$log"
