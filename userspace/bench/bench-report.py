#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw output of a benchmark run into results.json, a plot and a report.

  bench-report.py --out DIR [--docs FILE] [--publish PDIR]
        DIR/results.json, DIR/insert-latency.png and the report FILE; with
        --publish also PDIR/latest.json and PDIR/insert-latency.png (what
        `make bench` commits in docs/bench/), which the report then links
  bench-report.py --out DIR --check         TAP: the run's output is complete

DIR holds what bench-guest.sh and native.sh wrote: env.txt, kernel.jsonl,
trace-*.txt, perf-*.txt, user.jsonl, bpftool-*.txt, native.jsonl,
callgrind.json. Missing parts are reported as missing, not as failures,
except in --check mode for the parts given with --need.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys

BACKENDS = ["cmap", "rhashtable", "naive"]
WORKLOADS = {
    "read": "read-only steady state (lookups of present keys)",
    "grow_read": "lookups while one more thread grows the map from empty to N "
                 "(and empties it again, repeatedly)",
    "mix": "90% lookups / 10% updates of present keys",
    "insert": "insert-only growth from empty to N",
    "delete": "deletes shrinking N to empty",
}
RUN_FIELDS = ["backend", "workload", "n", "threads", "ms", "elapsed_ns", "ops",
              "ops_per_sec", "hits", "errors", "retries", "grow", "latency_ns",
              "resize", "mem"]
HIST_FIELDS = ["count", "mean", "p50", "p99", "p999", "max"]
USER_FIELDS = ["backend", "op", "n", "batch", "ops", "ns", "ops_per_sec",
               "ns_per_op", "errors"]


def read_jsonl(path):
    rows = []
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def read_env(out):
    env = {}
    path = os.path.join(out, "env.txt")
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


def read_trace(path):
    pts = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        t, done, mx, mean = (int(x) for x in line.split())
        pts.append({"t_ns": t, "done": done, "max_ns": mx, "mean_ns": mean})
    return pts


PERF_LINE = re.compile(r"^\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+"
                       r"cmap:(\w+):\s*(.*)$")


def parse_perf(out):
    """Events of perf-script.txt: resize durations, migration steps.

    Whole resizes are timed twice: by cmap itself (duration_ns of
    cmap_resize_end, its ktime) and by perf's timestamps (resize_start to
    resize_end of the same map). cmap_migrate carries no duration: a step's
    duration is bounded by the interval since the previous migrate event of
    the same thread (or since resize_start), within one resize; the worker
    runs its chunks back to back, so for it the bound is close.
    """
    path = os.path.join(out, "perf-script.txt")
    if not os.path.exists(path):
        skipped = os.path.join(out, "perf-skipped.txt")
        return {"skipped": open(skipped).read().strip()} if os.path.exists(skipped) else None
    events = []
    for line in open(path):
        m = PERF_LINE.match(line)
        if not m:
            continue
        comm, pid, cpu, ts, ev, rest = m.groups()
        fields = dict(re.findall(r"(\w+)=(\S+)", rest))
        events.append({"comm": comm, "pid": int(pid), "ts": float(ts),
                       "event": ev, "fields": fields})
    res = {"events": len(events), "counts": {}, "steps_by": {},
           "buckets_by": {}, "entries_by": {}}
    resize_ns, resize_perf_ns, step_ns = [], [], {"worker": [], "writer": []}
    between_ns = []  # a map's resize_end to its next resize_start
    ended = {}       # map -> ts of its last resize_end
    started = {}     # map -> ts of resize_start
    last = {}        # (map, pid) -> ts of the last event of that thread
    for e in events:
        res["counts"][e["event"]] = res["counts"].get(e["event"], 0) + 1
        f = e["fields"]
        key = f.get("map", "")
        if e["event"].endswith("resize_start"):
            started[key] = e["ts"]
            # a first grow from the minimum size is a new map (at a
            # recycled address), not the next resize of the old one
            if key in ended and f.get("old") != "16":
                between_ns.append(int(round((e["ts"] - ended[key]) * 1e9)))
            ended.pop(key, None)
            for k in [k for k in last if k[0] == key]:
                del last[k]
        elif e["event"].endswith("resize_end"):
            if "duration_ns" in f:
                resize_ns.append(int(f["duration_ns"], 0))
            if key in started:
                resize_perf_ns.append(int(round((e["ts"] - started.pop(key)) * 1e9)))
            ended[key] = e["ts"]
        elif e["event"].endswith("migrate"):
            by = f.get("by", "worker" if e["comm"].startswith("kworker") else "writer")
            res["steps_by"][by] = res["steps_by"].get(by, 0) + 1
            res["buckets_by"][by] = res["buckets_by"].get(by, 0) + int(f.get("buckets", 0))
            res["entries_by"][by] = res["entries_by"].get(by, 0) + int(f.get("entries", 0))
            prev = last.get((key, e["pid"]), started.get(key))
            if prev is not None and key in started:
                step_ns.setdefault(by, []).append(int(round((e["ts"] - prev) * 1e9)))
            last[(key, e["pid"])] = e["ts"]
    res["resize_dist"] = dist(resize_ns)
    res["resize_perf_dist"] = dist(resize_perf_ns)
    res["between_dist"] = dist(between_ns)
    res["step_dist"] = {k: dist(v) for k, v in step_ns.items() if v}
    stat = os.path.join(out, "perf-stat.txt")
    if os.path.exists(stat):
        res["stat"] = {}
        for line in open(stat):
            m = re.match(r"\s*([\d,]+)\s+(cmap:\w+)", line)
            if m:
                res["stat"][m.group(2)] = int(m.group(1).replace(",", ""))
    res["runs"] = read_jsonl(os.path.join(out, "perf-runs.jsonl")) or []
    res["profiles"] = {}
    for be in BACKENDS:
        p = os.path.join(out, "perf-profile-%s.txt" % be)
        if os.path.exists(p):
            res["profiles"][be] = open(p).read()
    return res


SCHED_LINE = re.compile(r"^\s*(\S.*?)\s+(-?\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\w+:\w+):\s*(.*)$")
SWITCH = re.compile(r"prev_comm=(.*?) prev_pid=(\d+) .*?prev_state=(\S+) ==> "
                    r"next_comm=(.*?) next_pid=(\d+)")


def parse_sched(out, bench_comm="cmap_bench/0"):
    """perf-sched.txt: when the inserting thread was off its CPU, and why.

    The one-thread cmap insert run of perf-resize.sh was recorded with every
    sched_switch and cmap's resize events. An interval off-CPU starts when
    the thread is switched out (state R: preempted, it wanted to run; S/D:
    it slept, e.g. in an allocation) and ends when it is switched in again.
    Time the host takes a vCPU away is invisible here (the guest's
    scheduler does not see it).
    """
    path = os.path.join(out, "perf-sched.txt")
    if not os.path.exists(path):
        return None
    tid, off, resizes, worker_tids = None, {}, [], set()
    start_rs = None
    intervals = []
    nswitch = 0
    for line in open(path):
        m = SCHED_LINE.match(line)
        if not m:
            continue
        comm, pid, cpu, ts, ev, rest = m.groups()
        ts = float(ts)
        if ev.endswith("cmap_resize_start"):
            start_rs = ts
            worker_tids.add(int(pid))
            continue
        if ev.endswith("cmap_resize_end"):
            if start_rs is not None:
                resizes.append((start_rs, ts))
            start_rs = None
            worker_tids.add(int(pid))
            continue
        if not ev.endswith("sched_switch"):
            continue
        nswitch += 1
        sm = SWITCH.search(rest)
        if not sm:
            continue
        pcomm, ppid, pstate, ncomm, npid = sm.groups()
        ppid, npid = int(ppid), int(npid)
        if tid is None and bench_comm in (pcomm, ncomm):
            tid = ppid if pcomm == bench_comm else npid
        if ppid == tid:
            off = {"ts": ts, "state": pstate, "next": ncomm, "next_pid": npid}
        elif npid == tid and off:
            d = int(round((ts - off["ts"]) * 1e9))
            during = any(a <= off["ts"] <= b for a, b in resizes) or \
                (start_rs is not None and off["ts"] >= start_rs)
            intervals.append({"ns": d, "state": off["state"], "next": off["next"],
                              "next_pid": off["next_pid"], "during_resize": during})
            off = {}
    if tid is None:
        return {"error": "no %s in perf-sched.txt" % bench_comm}
    pre = [i for i in intervals if i["state"].startswith("R")]
    slept = [i for i in intervals if not i["state"].startswith("R")]
    by_worker = [i for i in pre if i["next_pid"] in worker_tids]
    run = None
    p = os.path.join(out, "perf-sched-run.json")
    if os.path.exists(p):
        try:
            run = json.load(open(p))
        except ValueError:
            run = None
    top = sorted(intervals, key=lambda i: -i["ns"])[:6]
    return {"switches": nswitch, "resizes": len(resizes),
            "preempted": dist([i["ns"] for i in pre]),
            "slept": dist([i["ns"] for i in slept]),
            "preempted_by_cmap_worker": dist([i["ns"] for i in by_worker]),
            "preempted_during_resize": sum(1 for i in pre if i["during_resize"]),
            "longest": top, "run": run}


def dist(vals):
    if not vals:
        return None
    v = sorted(vals)

    def pct(p):
        return v[min(len(v) - 1, int(len(v) * p / 1000))]
    return {"count": len(v), "mean": sum(v) // len(v), "p50": pct(500),
            "p99": pct(990), "p999": pct(999), "max": v[-1]}


def read_texts(out, pattern):
    return {os.path.basename(p)[:-4]: open(p).read()
            for p in sorted(glob.glob(os.path.join(out, pattern)))}


def collect(out):
    kernel = read_jsonl(os.path.join(out, "kernel.jsonl"))
    traces = {}
    for be in BACKENDS:
        p = os.path.join(out, "trace-%s.txt" % be)
        if os.path.exists(p):
            traces[be] = read_trace(p)
    text = {}
    for name in ("bpftool-show.txt", "bpftool-dump.txt"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            text[name] = open(p).read()
    callgrind = None
    p = os.path.join(out, "callgrind.json")
    if os.path.exists(p):
        callgrind = json.load(open(p))
    timing = {}
    p = os.path.join(out, "timing.txt")
    if os.path.exists(p):
        for line in open(p):
            k, _, v = line.strip().partition("=")
            timing[k] = int(v) if v.isdigit() else v
    return {"env": read_env(out), "timing": timing, "kernel": kernel,
            "traces": traces,
            "perf": parse_perf(out), "sched": parse_sched(out),
            "user_profiles": read_texts(out, "user-profile-*.txt"),
            "user_callers": read_texts(out, "user-callers-*.txt"),
            "callgrind_functions": read_texts(out, "callgrind-*.txt"),
            "user": read_jsonl(os.path.join(out, "user.jsonl")),
            "bpftool": text,
            "native": read_jsonl(os.path.join(out, "native.jsonl")),
            "callgrind": callgrind}


# ---- checks (TAP) ----

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc))
        if not cond and diag:
            print("#   " + str(diag)[:300])

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def missing_fields(obj, fields):
    return [f for f in fields if f not in obj]


def positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def check(out, need, status=None):
    """TAP: everything a run should have produced is there and sane.

    No figure is compared with a target: only presence, parseability,
    completeness (every backend ran every workload at every size and thread
    count of the run) and that measured numbers are positive.
    """
    tap = Tap()
    if status is not None:
        tap.ok(status == 0, "bench.sh ran every part (exit status %d)" % status)
    res = os.path.join(out, "results.json")
    try:
        data = json.load(open(res))
        tap.ok(isinstance(data, dict), "results.json parses as a JSON object")
    except (OSError, ValueError) as e:
        tap.ok(False, "results.json parses as a JSON object", e)
        data = {}
    env = data.get("env") or {}
    tap.ok(env.get("kernel") and env.get("vcpus") and env.get("date"),
           "results.json: kernel, vCPUs and date recorded", env)
    for name in ("kernel.jsonl", "user.jsonl", "native.jsonl"):
        part = name.split(".")[0]
        if part not in need:
            continue
        path = os.path.join(out, name)
        try:
            rows = read_jsonl(path)
            tap.ok(rows, "%s: present and every line is JSON" % name, path)
        except ValueError as e:
            tap.ok(False, "%s: every line is JSON" % name, e)
            continue
        if not rows:
            continue
        want = {"kernel": RUN_FIELDS, "user": USER_FIELDS,
                "native": ["backend", "workload", "n", "threads", "ops",
                           "ops_per_sec"]}[part]
        bad = [(r.get("backend"), missing_fields(r, want)) for r in rows
               if missing_fields(r, want)]
        tap.ok(not bad, "%s: all fields present in %d runs" % (name, len(rows)), bad)
        if bad:
            continue
        {"kernel": check_kernel, "user": check_user,
         "native": check_native}[part](tap, rows)
        errs = [r for r in rows if r.get("errors")]
        tap.ok(not errs, "%s: no failed operations" % name, errs[:1])
    if "kernel" in need:
        for be in BACKENDS:
            p = os.path.join(out, "trace-%s.txt" % be)
            try:
                pts = read_trace(p) if os.path.exists(p) else []
            except ValueError:
                pts = []
            ok = pts and all(q["done"] > 0 and q["max_ns"] > 0 for q in pts)
            tap.ok(ok, "trace-%s.txt: insert latency over time, positive" % be)
        png = os.path.join(out, "insert-latency.png")
        try:
            magic = open(png, "rb").read(8)
        except OSError:
            magic = b""
        tap.ok(magic == b"\x89PNG\r\n\x1a\n", "insert-latency.png is a PNG (gnuplot)")
    if "perf" in need:
        perf = parse_perf(out)
        tap.ok(perf and "skipped" not in perf and perf["events"] > 0,
               "perf: cmap:* tracepoint events recorded", perf and perf.get("skipped"))
        ok = perf and "skipped" not in perf and perf["resize_dist"] and \
            positive(perf["resize_dist"]["max"])
        tap.ok(ok, "perf: resize durations derived from the events")
        tap.ok(perf and perf.get("stat"), "perf stat counted cmap:* events")
        sc = parse_sched(out)
        tap.ok(sc and "error" not in sc and sc.get("run") and sc["switches"] > 0,
               "perf: sched_switch trace of a cmap insert run parsed",
               sc and sc.get("error"))
    if "user" in need:
        texts = data.get("bpftool") or {}
        tap.ok("hash" in texts.get("bpftool-show.txt", ""),
               "bpftool map show of the BPF peer recorded")
        tap.ok("key:" in texts.get("bpftool-dump.txt", "") or
               '"key"' in texts.get("bpftool-dump.txt", ""),
               "bpftool map dump of the BPF peer recorded")
    if "native" in need:
        cg = data.get("callgrind") or {}
        ok = all(positive((cg.get(b) or {}).get(op))
                 for b in ("cmap", "lfht") for op in ("lookup", "insert"))
        tap.ok(ok, "callgrind: instructions per lookup and insert, both tables", cg)
    errs = os.path.join(out, "errors.txt")
    tap.ok(not os.path.exists(errs) or not open(errs).read().strip(),
           "the guest reported no failed runs", errs)
    docs = os.path.join(out, "BENCHMARKS.md")
    try:
        text = open(docs).read()
    except OSError:
        text = ""
    tap.ok("## Targets" in text and "| cmap" in text,
           "the report was generated with its targets and tables", docs)
    return tap.done()


def check_kernel(tap, rows):
    # the traced insert runs (bench-guest.sh, after the others) may use an
    # N of their own: the grid is what the read workload ran
    sizes = sorted({r["n"] for r in rows if r["workload"] == "read"})
    threads = sorted({r["threads"] for r in rows})
    have = {(r["backend"], r["workload"], r["n"], r["threads"]) for r in rows}
    want = {(b, w, n, t) for b in BACKENDS for w in WORKLOADS
            for n in sizes for t in threads}
    tap.ok(want <= have, "kernel: every backend ran every workload at every "
           "N (%s) and thread count (%s)" % (sizes, threads), sorted(want - have)[:5])
    bad = []
    for r in rows:
        for op, h in r["latency_ns"].items():
            if missing_fields(h, HIST_FIELDS):
                bad.append((r["backend"], op))
            elif h["count"] and not (0 < h["p50"] <= h["p99"] <= h["p999"] <= h["max"]):
                bad.append((r["backend"], r["workload"], op, h))
    tap.ok(not bad, "kernel: latency percentiles complete, positive and ordered",
           bad[:3])
    bad = []
    for r in rows:
        w = r["workload"]
        vals = [r["ops"], r["ops_per_sec"], r["elapsed_ns"]]
        # grow_read: lookups *during* a growth can be 0 at tiny N (a reader
        # vCPU not scheduled during a short growth): counted, not required
        if w == "grow_read":
            vals += [r["grow"]["grows"], r["latency_ns"]["insert"]["count"]]
        if w in ("read", "grow_read"):
            vals.append(r["latency_ns"]["lookup"]["count"])
        if w == "insert":
            vals += [r["latency_ns"]["insert"]["count"], r["mem"]["entries"],
                     r["mem"]["bytes_per_entry"]]
        if w == "delete":
            vals.append(r["latency_ns"]["delete"]["count"])
        if not all(positive(v) for v in vals):
            bad.append((r["backend"], w, r["n"], r["threads"]))
    tap.ok(not bad, "kernel: ops/s, latencies, memory per entry positive in "
           "every run", bad[:3])


def check_user(tap, rows):
    have = {(r["backend"], r["op"]): r for r in rows}
    want = [(b, op) for b in ("cmap", "bpf")
            for op in ("get", "put", "batch_get", "batch_put")]
    tap.ok(all(k in have for k in want), "user: /dev/cmap and BPF, single and "
           "batch GET/PUT", [k for k in want if k not in have])
    bad = [k for k, r in have.items()
           if not (positive(r["ops_per_sec"]) and positive(r["ns_per_op"]))]
    tap.ok(not bad, "user: ops/s and ns/op positive", bad)


def check_native(tap, rows):
    have = {(r["backend"], r["workload"], r["threads"]): r for r in rows}
    want = [(b, w, t) for b in ("cmap", "lfht") for w in ("read", "insert")
            for t in (1, 2)]
    tap.ok(all(k in have for k in want), "native: cmap core and cds_lfht, "
           "read and insert, 1 and 2 threads", [k for k in want if k not in have])
    bad = [k for k, r in have.items() if not positive(r["ops_per_sec"])]
    tap.ok(not bad, "native: ops/s positive", bad)


# ---- report ----

def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 100:
        return "%.2f" % v
    v = float(v)
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return "%.2f%s" % (v / div, unit)
    return "%.0f" % v


def ns(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e3:
        return "%.1f us" % (v / 1e3)
    return "%d ns" % v


def ratio(a, b):
    return (a / b) if a and b else None


def rx(r):
    return "-" if r is None else "%.2fx" % r


def index(rows):
    idx = {}
    for r in rows or []:
        k = (r["backend"], r["workload"], r["n"], r["threads"])
        old = idx.get(k)
        if old is None:
            idx[k] = dict(r, reps=1)
        elif r["workload"] in ("read", "grow_read", "mix"):
            # repetitions of a timed workload: keep the best (least
            # disturbed by the host) and count them
            best = r if metric(r, r["workload"]) > metric(old, r["workload"]) else old
            idx[k] = dict(best, reps=old["reps"] + 1)
        # else first wins: the traced insert runs come last in kernel.jsonl
    return idx


def table(lines, head, rows):
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in r) + " |")
    lines.append("")


def metric(r, workload):
    if r is None:
        return None
    if workload == "grow_read":
        return r["grow"]["lookups_per_sec"]
    return r["ops_per_sec"]


def workload_section(lines, idx, w, sizes, threads, env):
    lines.append("### %s: %s" % (w, WORKLOADS[w]))
    lines.append("")
    reps = max([r.get("reps", 1) for k, r in idx.items() if k[1] == w] or [1])
    lines.append("Kernel %s, %s vCPUs, %s. Ratios are cmap's figure divided by "
                 "the peer's (higher is better for cmap).%s" %
                 (env.get("kernel", "?"), env.get("vcpus", "?"), env.get("date", "?"),
                  (" Each figure is the best of %d runs of %s ms, the backends "
                   "taking turns." % (reps, next((r["ms"] for k, r in idx.items()
                                                  if k[1] == w), "?")))
                  if reps > 1 else ""))
    lines.append("")
    unit = "lookups/s during growth" if w == "grow_read" else "ops/s"
    head = ["N", "threads"] + ["%s %s" % (b, unit) for b in BACKENDS] + \
        ["cmap/rhashtable", "cmap/naive"]
    rows = []
    for n in sizes:
        for t in threads:
            v = [metric(idx.get((b, w, n, t)), w) for b in BACKENDS]
            if not any(v):
                continue
            rows.append([nfmt(n), t] + [fmt(x) for x in v] +
                        [rx(ratio(v[0], v[1])), rx(ratio(v[0], v[2]))])
    table(lines, head, rows)
    if w in ("insert", "grow_read", "delete"):
        latency_table(lines, idx, w, sizes, threads)


def latency_table(lines, idx, w, sizes, threads):
    op = {"insert": "insert", "grow_read": "lookup", "delete": "delete"}[w]
    head = ["N", "threads", "backend", op + " p50", "p99", "p99.9", "max",
            "resizes", "resize mean", "resize max", "bytes/entry"]
    rows = []
    for n in sizes:
        for t in threads:
            for b in BACKENDS:
                r = idx.get((b, w, n, t))
                if not r:
                    continue
                h = r["latency_ns"][op]
                rs = r["resize"]
                untimed = "(perf)" if b == "cmap" else "-"
                timed = rs["timed"] > 0
                rows.append([nfmt(n), t, b, ns(h["p50"]), ns(h["p99"]),
                             ns(h["p999"]), ns(h["max"]), rs["count"],
                             ns(rs["mean_ns"]) if timed else untimed,
                             ns(rs["max_ns"]) if timed else untimed,
                             r["mem"]["bytes_per_entry"] or "-"])
    lines.append("Latency (%s%s), resizes and memory:" %
                 (op, ", sampled 1 in 2^sample" if op == "lookup" else ", every op"))
    lines.append("")
    table(lines, head, rows)


def target(lines, desc, val, goal, ok, note=""):
    state = "n/a" if ok is None else ("met" if ok else "**missed**")
    lines.append("| %s | %s | %s | %s | %s |" % (desc, val, goal, state, note))


def nfmt(n):
    """1000 -> 1e3, 20000 -> 2e4; other values as they are."""
    if not n:
        return str(n)
    e = len(str(n)) - 1
    m = n / 10 ** e
    return ("%de%d" % (m, e)) if m == int(m) and e >= 3 else str(n)


def dur(sec):
    if not isinstance(sec, int):
        return "?"
    return "%d min %02d s" % (sec // 60, sec % 60) if sec >= 60 else "%d s" % sec


def per_n(vals):
    """'1e3: 1.02x, 1e4: 0.97x' from [(n, ratio)]."""
    return ", ".join("%s: %s" % (nfmt(n), rx(r)) for n, r in vals if r)


def targets(lines, data, idx, sizes, threads):
    lines.append("## Targets")
    lines.append("")
    lines.append("Ratios from this one run. \"worst N\" is the smallest ratio "
                 "over the sizes; the per-size ratios and the controls (the same "
                 "ratio for the peers) are in the last column. Why a target is "
                 "missed: see \"Where targets are missed\" above.")
    lines.append("")
    lines.append("| target | measured | goal | | per N, controls |")
    lines.append("|---|---|---|---|---|")
    nmax = max(sizes) if sizes else None
    for t in threads:
        rs = [(n, ratio(metric(idx.get(("cmap", "read", n, t)), "read"),
                        metric(idx.get(("rhashtable", "read", n, t)), "read")))
              for n in sizes]
        vals = [r for _, r in rs if r]
        worst = min(vals) if vals else None
        target(lines, "cmap lookup vs rhashtable, %d thread(s), worst N" % t,
               rx(worst), ">= 1.0x (aim 1.2x)",
               None if worst is None else worst >= 1.0, per_n(rs))
    for t in threads:
        ctl = {}
        for be in BACKENDS:
            ctl[be] = [(n, ratio(metric(idx.get((be, "grow_read", n, t)), "grow_read"),
                                 metric(idx.get((be, "read", n, t)), "read")))
                       for n in sizes]
        vals = [r for _, r in ctl["cmap"] if r]
        worst = min(vals) if vals else None
        note = per_n(ctl["cmap"]) + "; same ratio for rhashtable: " + \
            per_n(ctl["rhashtable"]) + "; naive: " + per_n(ctl["naive"])
        target(lines, "cmap lookups while resizing vs its steady state, %d "
               "thread(s), worst N" % t, rx(worst), ">= 0.9x",
               None if worst is None else worst >= 0.9, note)

    def imax(be, n):
        r = idx.get((be, "insert", n, 1))
        return r and r["latency_ns"]["insert"]["max"]
    c, nv = imax("cmap", nmax), imax("naive", nmax)
    if c and nv:
        r = ratio(c, nv)
        note = "max insert, 1 thread: cmap " + ", ".join(
            "%s: %s" % (nfmt(n), ns(imax("cmap", n))) for n in sizes) + \
            "; naive " + ", ".join("%s: %s" % (nfmt(n), ns(imax("naive", n)))
                                  for n in sizes) + \
            "; rhashtable " + ", ".join("%s: %s" % (nfmt(n), ns(imax("rhashtable", n)))
                                       for n in sizes)
        nr = idx.get(("naive", "insert", nmax, 1))
        if nr and nr["resize"]["timed"]:
            note += "; naive's longest rehash (exact, all entries under the " \
                "write lock): %s" % ns(nr["resize"]["max_ns"])
        sd = ((data.get("perf") or {}).get("step_dist") or {}).get("writer")
        if sd:
            note += "; cmap's longest migration work by a writer (perf, upper " \
                "bound, p99.9 / max): %s / %s" % (ns(sd["p999"]), ns(sd["max"]))
        target(lines, "max insert latency growing to N=%s, cmap / naive "
               "(1 thread)" % nfmt(nmax), "%s (%s vs %s)" % (rx(r), ns(c), ns(nv)),
               "<= 0.01x", r <= 0.01, note)
    c4 = imax("cmap", 10000)
    if c and c4 and nmax > 10000:
        r = ratio(c, c4)
        nr = ratio(nv, imax("naive", 10000))
        target(lines, "cmap max insert latency, N=%s vs N=10k" % nfmt(nmax),
               rx(r), "< 2x", r < 2, "naive: %s" % rx(nr))
    user = {(u["backend"], u["op"]): u for u in data["user"] or []}
    cg, bg = user.get(("cmap", "get")), user.get(("bpf", "get"))
    if cg and bg:
        r = ratio(cg["ops_per_sec"], bg["ops_per_sec"])
        target(lines, "single GET /dev/cmap vs BPF lookup (bpf(2))", rx(r),
               ">= 0.9x", r >= 0.9, "%.0f vs %.0f ns per call" %
               (cg["ns_per_op"], bg["ns_per_op"]))
    cb = user.get(("cmap", "batch_get"))
    if cg and cb:
        r = ratio(cb["ops_per_sec"], cg["ops_per_sec"])
        target(lines, "cmap batch GET vs single GET (per key)", rx(r), ">= 5x",
               r >= 5, "batch of %d; %.0f vs %.0f ns per key" %
               (cb["batch"], cb["ns_per_op"], cg["ns_per_op"]))
    native_targets(lines, data)
    lines.append("")


def native_targets(lines, data):
    nat = {(r["backend"], r["workload"], r["n"], r["threads"]): r
           for r in data["native"] or []}
    for t in (1, 2):
        rs = [(k[2], ratio(nat[k]["ops_per_sec"], nat[("lfht",) + k[1:]]["ops_per_sec"]))
              for k in sorted(nat) if k[0] == "cmap" and k[1] == "read" and k[3] == t
              and ("lfht",) + k[1:] in nat]
        vals = [r for _, r in rs if r]
        if vals:
            target(lines, "user-space core lookups vs cds_lfht, %d thread(s), "
                   "worst N" % t, rx(min(vals)), ">= 1.0x", min(vals) >= 1.0,
                   per_n(rs))
    cg = data["callgrind"]
    if cg and cg.get("cmap") and cg.get("lfht"):
        a = cg["cmap"].get("lookup")
        b = cg["lfht"].get("lookup")
        if a and b:
            target(lines, "instructions per lookup, cmap core vs cds_lfht",
                   "%.0f vs %.0f" % (a, b), "fewer", a < b,
                   "callgrind, N=%s; per insert %.0f vs %.0f" % (
                       nfmt(cg.get("n")), cg["cmap"].get("insert", 0),
                       cg["lfht"].get("insert", 0)))


def perf_section(lines, perf):
    lines.append("## Resize latency with perf (cmap tracepoints)")
    lines.append("")
    if not perf:
        lines.append("Not run.")
        lines.append("")
        return
    if "skipped" in perf:
        lines.append("Skipped: " + perf["skipped"])
        lines.append("")
        return
    runs = perf.get("runs") or []
    desc = ", then ".join("%s N=%d threads=%d" % (r["workload"], r["n"], r["threads"])
                          for r in runs)
    lines.append("`perf stat -e 'cmap:*' -a` and then `perf record -e 'cmap:*' -a` "
                 "(two separate executions of the same job) while cmap_bench ran: "
                 "%s; the delete run first fills its map (untimed), so perf also "
                 "sees that fill's grows. `perf script` gave %d events." %
                 (desc or "?", perf["events"]))
    lines.append("")
    rec = perf.get("counts", {})
    rows = [[ev, perf.get("stat", {}).get(ev, "-"), rec.get(ev.split(":")[1], "-")]
            for ev in sorted(perf.get("stat", {}))]
    table(lines, ["event", "perf stat", "perf record"], rows)
    head = ["duration", "count", "mean", "p50", "p99", "p99.9", "max"]
    rows = []
    named = [("whole resize, cmap's duration_ns", perf.get("resize_dist")),
             ("whole resize, perf timestamps start to end", perf.get("resize_perf_dist"))]
    named.append(("one resize's end to the next one's start (same map)",
                  perf.get("between_dist")))
    for by, d in sorted((perf.get("step_dist") or {}).items()):
        named.append(("migration step by a %s (upper bound)" % by, d))
    for name, d in named:
        if d:
            rows.append([name, d["count"], ns(d["mean"]), ns(d["p50"]),
                         ns(d["p99"]), ns(d["p999"]), ns(d["max"])])
    table(lines, head, rows)
    lines.append("A step's duration is bounded by the interval since the same "
                 "thread's previous migrate event of that resize (perf's "
                 "timestamps have 1 us resolution): close for the worker, which "
                 "migrates chunk after chunk, loose for writers, whose interval "
                 "includes their own inserts.")
    lines.append("")
    by = perf.get("steps_by", {})
    tot_b = sum(perf.get("buckets_by", {}).values()) or 1
    table(lines, ["migration work by", "steps", "buckets", "share of buckets",
                  "entries"],
          [[k, v, perf["buckets_by"].get(k, 0),
            "%.1f%%" % (100.0 * perf["buckets_by"].get(k, 0) / tot_b),
            perf.get("entries_by", {}).get(k, "-")] for k, v in sorted(by.items())])
    bench_cnt = sum(r["resize"]["count"] for r in runs)
    bench_timed = sum(r["resize"]["timed"] for r in runs)
    bench_tot = sum(r["resize"]["total_ns"] for r in runs)
    bench_max = max([r["resize"]["max_ns"] for r in runs] or [0])
    d, dp = perf.get("resize_dist"), perf.get("resize_perf_dist")
    lines.append("**perf vs the benchmark's own timings.** The benchmark "
                 "(cmap_bench_trace.c) times cmap's resizes with a probe on the "
                 "same tracepoint, but only those of the timed phases: for the "
                 "recorded runs it counted %d resizes (%d timed), total %s, max %s. "
                 "perf saw %s resizes (the extra ones are the delete run's "
                 "untimed fill), max %s by cmap's clock and %s by perf's "
                 "timestamps; the two ways of timing a resize agree to %s on "
                 "average." % (
                     bench_cnt, bench_timed, ns(bench_tot), ns(bench_max),
                     d["count"] if d else "-", ns(d and d["max"]),
                     ns(dp and dp["max"]),
                     ("%.1f%%" % (100.0 * abs(d["mean"] - dp["mean"]) / d["mean"]))
                     if d and dp and d["mean"] else "-"))
    lines.append("")
    for r in runs:
        h = r["latency_ns"]["insert" if r["workload"] == "insert" else "delete"]
        lines.append("- benchmark's view of %s N=%d threads=%d: %s ops/s, %d "
                     "resizes (mean %s, max %s), op p99 %s, max %s" % (
                         r["workload"], r["n"], r["threads"], fmt(r["ops_per_sec"]),
                         r["resize"]["count"], ns(r["resize"]["mean_ns"]),
                         ns(r["resize"]["max_ns"]), ns(h["p99"]), ns(h["max"])))
    lines.append("")
    for be, text in sorted((perf.get("profiles") or {}).items()):
        lines.append("CPU profile of the read workload, %s, N=1e5, 1 thread "
                     "(`perf record -e cpu-clock -a`, `perf report --sort sym` of "
                     "the benchmark thread; percentages of all samples, idle "
                     "vCPUs included):" % be)
        lines.append("")
        lines.append("```")
        lines.extend(l for l in text.rstrip("\n").splitlines()[:30]
                     if not l.startswith("#") or "Samples:" in l)
        lines.append("```")
        lines.append("")


def sched_section(lines, sc):
    if not sc:
        return
    lines.append("### Why an insert can take milliseconds (perf, sched_switch)")
    lines.append("")
    if "error" in sc:
        lines.append(sc["error"])
        lines.append("")
        return
    run = sc.get("run") or {}
    h = (run.get("latency_ns") or {}).get("insert") or {}
    lines.append("`perf record -e sched:sched_switch -e 'cmap:cmap_resize_*' -a` "
                 "during one more one-thread cmap insert run to N=%s (%d switches, "
                 "%d resizes). The benchmark's own figures for that run: insert "
                 "p99 %s, p99.9 %s, max %s. Intervals the inserting kernel thread "
                 "spent off its CPU:" % (nfmt(run.get("n")), sc["switches"],
                                          sc["resizes"], ns(h.get("p99")),
                                          ns(h.get("p999")), ns(h.get("max"))))
    lines.append("")
    head = ["off-CPU interval", "count", "mean", "p50", "p99", "max"]
    rows = []
    for name, key in (("preempted (state R)", "preempted"),
                      ("... of which by cmap's resize worker", "preempted_by_cmap_worker"),
                      ("slept (state S/D)", "slept")):
        d = sc.get(key)
        rows.append([name] + ([d["count"], ns(d["mean"]), ns(d["p50"]),
                               ns(d["p99"]), ns(d["max"])] if d else [0, "-", "-", "-", "-"]))
    table(lines, head, rows)
    lines.append("Longest: " + "; ".join(
        "%s (%s, %s ran instead%s)" % (ns(i["ns"]), i["state"], i["next"],
                                        ", during a resize" if i["during_resize"] else "")
        for i in sc.get("longest") or []) + ".")
    lines.append("")


def user_section(lines, data):
    lines.append("## User space into the kernel: /dev/cmap vs a BPF hash map")
    lines.append("")
    if not data["user"]:
        lines.append("Not run.")
        lines.append("")
        return
    u = {(r["backend"], r["op"]): r for r in data["user"]}
    rows = []
    for op in ("get", "put", "batch_get", "batch_put"):
        c, b = u.get(("cmap", op)), u.get(("bpf", op))
        rows.append([op, c and c["batch"], fmt(c and c["ops_per_sec"]),
                     c and "%.0f" % c["ns_per_op"], fmt(b and b["ops_per_sec"]),
                     b and "%.0f" % b["ns_per_op"],
                     rx(ratio(c and c["ops_per_sec"], b and b["ops_per_sec"]))])
    n = data["user"][0]["n"]
    lines.append("N=%d keys, 8-byte keys and values, one thread. BPF batch_get "
                 "is `bpf_map_lookup_batch` (a walk of the map: BPF has no keyed "
                 "batch lookup); cmap batch_get looks up random keys." % n)
    lines.append("")
    table(lines, ["op", "batch", "cmap ops/s", "cmap ns/op", "BPF ops/s",
                  "BPF ns/op", "cmap/BPF"], rows)
    for name, text in sorted((data.get("user_callers") or {}).items()):
        lines.append("CPU profile of `user_bench --only %s` (fill of the map, then "
                     "the measurements; `perf record -g -e cpu-clock -a`, `perf "
                     "report --children --comms user_bench --percentage relative`: "
                     "share of user_bench's samples in each function with its "
                     "callees, then alone):" % name.replace("user-callers-", ""))
        lines.append("")
        lines.append("```")
        lines.extend(l for l in text.rstrip("\n").splitlines()
                     if not l.startswith("#"))
        lines.append("```")
        lines.append("")
    if not data.get("user_callers"):
        for name, text in sorted((data.get("user_profiles") or {}).items()):
            lines.append("CPU profile of cmap %s alone (`perf record -e cpu-clock "
                         "-a --comms user_bench`, top symbols; includes the "
                         "fill):" % name.replace("user-profile-", ""))
            lines.append("")
            lines.append("```")
            lines.extend(l for l in text.rstrip("\n").splitlines()
                         if not l.startswith("#"))
            lines.append("```")
            lines.append("")
    for name, text in sorted(data["bpftool"].items()):
        lines.append("`%s`:" % name.replace(".txt", "").replace("-", " map "))
        lines.append("")
        lines.append("```")
        lines.extend(text.rstrip("\n").splitlines()[:24])
        lines.append("```")
        lines.append("")


def native_section(lines, data):
    lines.append("## cmap's user-space core vs liburcu cds_lfht (host, no VM)")
    lines.append("")
    if not data["native"]:
        lines.append("Not run.")
        lines.append("")
        return
    nat = {(r["backend"], r["workload"], r["n"], r["threads"]): r
           for r in data["native"]}
    rows = []
    for w in sorted({r["workload"] for r in data["native"]}):
        for n in sorted({r["n"] for r in data["native"]}):
            for t in sorted({r["threads"] for r in data["native"]}):
                c, u = nat.get(("cmap", w, n, t)), nat.get(("lfht", w, n, t))
                rows.append([w, nfmt(n), t, fmt(c and c["ops_per_sec"]),
                             fmt(u and u["ops_per_sec"]),
                             rx(ratio(c and c["ops_per_sec"],
                                      u and u["ops_per_sec"]))])
    table(lines, ["workload", "N", "threads", "cmap ops/s", "cds_lfht ops/s",
                  "ratio"], rows)
    cg = data["callgrind"]
    if cg:
        rows = [[b, "%.0f" % cg[b].get("lookup", 0), "%.0f" % cg[b].get("insert", 0)]
                for b in sorted(cg) if isinstance(cg[b], dict)]
        lines.append("Instructions per operation (valgrind --tool=callgrind, "
                     "N=%s):" % cg.get("n", "?"))
        lines.append("")
        table(lines, ["backend", "lookup", "insert"], rows)
    for name, text in sorted((data.get("callgrind_functions") or {}).items()):
        lines.append("callgrind, %s, instructions by function (%s ops):" %
                     (name.replace("callgrind-", ""), (cg or {}).get("ops", "?")))
        lines.append("")
        lines.append("```")
        lines.extend(re.sub(r"\s+\[[^]]*\]$", "",
                            re.sub(r"/var/cache/\S*?/include/", "include/", l))
                     for l in text.rstrip("\n").splitlines()[:14])
        lines.append("```")
        lines.append("")


def report(data, docs, plot_name):
    env = data["env"]
    idx = index(data["kernel"])
    sizes = sorted({k[2] for k in idx if k[1] == "read"})
    threads = sorted({k[3] for k in idx})
    lines = ["# cmap benchmarks", "",
             "<!-- Generated by userspace/bench/bench-report.py from `make bench`;"
             " edit userspace/bench/analysis.md instead. -->", "",
             "| | |", "|---|---|",
             "| kernel | %s |" % env.get("kernel", "?"),
             "| vCPUs | %s (QEMU TCG on a %s-core host shared with other guests) |" %
             (env.get("vcpus", "?"), os.cpu_count()),
             "| date | %s |" % env.get("date", "?"),
             "| mode | %s |" % env.get("mode", "?"),
             "| clocksource | %s |" % env.get("clocksource", "?"),
             "| guest CPU model | %s |" % env.get("cpu", "?"),
             "| host load average | %s at the start, %s at the end (other "
             "sessions' builds and guests) |" % (
                 (data.get("timing") or {}).get("load_start", "?"),
                 (data.get("timing") or {}).get("load_end", "?")),
             "| run time | %s: guest part %s, native part %s (bench.sh %s) |" % (
                 dur((data.get("timing") or {}).get("total_s")),
                 dur((data.get("timing") or {}).get("guest_s")),
                 dur((data.get("timing") or {}).get("native_s")),
                 env.get("mode", "?"))]
    if (data.get("timing") or {}).get("note"):
        lines.append("| note | %s |" % data["timing"]["note"])
    lines.append("")
    here = os.path.dirname(os.path.abspath(__file__))
    intro = os.path.join(here, "analysis.md")
    if os.path.exists(intro):
        tm = data.get("timing") or {}
        text = open(intro).read().rstrip("\n")
        text = text.replace("DURATION", dur(tm.get("total_s"))) \
            .replace("GUEST", dur(tm.get("guest_s"))) \
            .replace("NATIVE", dur(tm.get("native_s")))
        lines.extend(text.splitlines())
        lines.append("")
    targets(lines, data, idx, sizes, threads)
    lines.append("## In-kernel comparison (cmap_bench.ko)")
    lines.append("")
    if plot_name:
        lines.append("![insert latency over time](%s)" % plot_name)
        lines.append("")
    for w in WORKLOADS:
        workload_section(lines, idx, w, sizes, threads, env)
    perf_section(lines, data["perf"])
    sched_section(lines, data.get("sched"))
    user_section(lines, data)
    native_section(lines, data)
    os.makedirs(os.path.dirname(os.path.abspath(docs)), exist_ok=True)
    with open(docs, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(data, out):
    tr = data["traces"]
    if not tr:
        return None
    dat = os.path.join(out, "insert-latency.dat")
    with open(dat, "w") as f:
        for be in BACKENDS:
            f.write("# %s\n" % be)
            pts = tr.get(be, [])
            gaps = sorted(b["t_ns"] - a["t_ns"] for a, b in zip(pts, pts[1:]))
            med = gaps[len(gaps) // 2] if gaps else 0
            prev = None
            for p in pts:
                # a window that took much longer than the typical one is a
                # stall: break the line there instead of drawing a ramp
                if prev is not None and med and p["t_ns"] - prev > 4 * med:
                    f.write("\n")
                f.write("%.3f %d %.3f %.3f\n" % (p["t_ns"] / 1e6, p["done"],
                                                 p["max_ns"] / 1e3, p["mean_ns"] / 1e3))
                prev = p["t_ns"]
            f.write("\n\n")
    png = os.path.join(out, "insert-latency.png")
    n = max((p["done"] for p in tr.get("cmap", [])), default=0)
    script = """set terminal pngcairo size 1100,650 noenhanced
set output '%s'
set title 'Insert latency while growing from empty to %d keys, one thread (worst insert per 1/1000 of the keys)'
set xlabel 'time since start (ms)'
set ylabel 'max insert latency in window (us)'
set logscale y
set grid
set key top left
plot '%s' index 0 using 1:3 with lines lw 2 title 'cmap', \\
     '' index 1 using 1:3 with lines lw 2 title 'rhashtable', \\
     '' index 2 using 1:3 with lines lw 2 title 'naive (rwlock, rehash all at once)'
""" % (png, n, dat)
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("bench-report: gnuplot failed: %s" % e, file=sys.stderr)
        return None
    return png


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory of a run's raw output")
    ap.add_argument("--docs", help="where to write the Markdown report")
    ap.add_argument("--publish", help="also copy results.json and the plot here "
                    "(latest.json, insert-latency.png)")
    ap.add_argument("--check", action="store_true", help="TAP check of the output")
    ap.add_argument("--need", default="kernel", help="parts --check requires")
    ap.add_argument("--status", type=int, help="with --check: bench.sh's exit "
                    "status, checked as the first test")
    a = ap.parse_args()
    if a.check:
        return check(a.out, a.need.split(), a.status)
    data = collect(a.out)
    data["generated"] = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    png = plot(data, a.out)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    if a.publish:
        os.makedirs(a.publish, exist_ok=True)
        shutil.copyfile(os.path.join(a.out, "results.json"),
                        os.path.join(a.publish, "latest.json"))
        if png:
            png = shutil.copyfile(png, os.path.join(a.publish, "insert-latency.png"))
    if a.docs:
        rel = None
        if png:
            rel = os.path.relpath(png, os.path.dirname(os.path.abspath(a.docs)))
        report(data, a.docs, rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
