#!/usr/bin/env python3
"""Turns bench/results.tsv (every run) into bench/RESULTS.md (medians, ratios, targets) and the chart data."""
import csv, datetime, os, platform, statistics, subprocess, sys

tsv, md_path, dat_path = sys.argv[1:4]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
PEERS = ["aws", "aws64", "rclone", "rclone32", "rclone-checksum", "s3cmd"]
NAMES = {"s3sync": "s3sync", "s3sync-env": "s3sync (keys in the environment)", "s3sync-rehash": "s3sync --rehash (no cache)", "s3sync-w10": "s3sync --workers 10 (the seed's default)", "aws": "aws s3 sync", "aws64": "aws (max_concurrent_requests 64)",
         "rclone": "rclone sync", "rclone32": "rclone --transfers 32 --checkers 32", "rclone-checksum": "rclone --checksum",
         "s3cmd": "s3cmd sync", "s3sync-cold-cache": "s3sync, empty hash cache", "s3sync-warm-cache": "s3sync, warm hash cache",
         "ceiling": "server ceiling (bench/ceiling: the same signed PUTs, nothing else)"}
W = {"w1": "W1: 10,000 × 4 KiB to an empty prefix", "w2": "W2: W1 again, nothing changed", "w3": "W3: 2 × 512 MiB to an empty prefix",
     "w4": "W4: 100 same-size rewrites with old mtime + 100 newer", "w5": "W5: 40 MiB uploaded by aws (8 MiB parts), synced again",
     "w6": f"W6: {int(os.environ.get('W6_FILES', '100000')):,} × 1 KiB, in sync (no-op)", "mem": "Memory: 1,000,000 entries each side, in sync (SiteSync over generated seams)"}

def version(cmd):
    try: return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception: return "?"

med = {}
for r in rows:
    k = (r["workload"], r["tool"])
    med.setdefault(k, []).append(r)
summary = {}
for k, rs in med.items():
    wall = statistics.median(float(r["wall_s"]) for r in rs)
    cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
    rss = statistics.median(int(r["maxrss_kb"]) for r in rs) / 1024
    checks = sorted({r["check"] for r in rs})
    codes = sorted({r["exit"] for r in rs})
    summary[k] = dict(wall=wall, cpu=cpu, rss=rss, runs=len(rs), check=",".join(checks), exit=",".join(codes))

def get(w, t, f="wall"):
    return summary.get((w, t), {}).get(f)

out = []
p = out.append
p("# Benchmark results\n")
p(f"Run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/run.sh` (method: [README.md](README.md)).  ")
p(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, client and Ceph RGW (memstore) on the same cores.  ")
p(f"Tools: s3sync {version(['dist/s3sync', '--version'])}; {version(['/usr/bin/aws', '--version'])}; {version(['/usr/bin/rclone', 'version'])}; s3cmd {version(['/usr/bin/s3cmd', '--version'])}.  ")
p("Every number is the median of the runs counted in the table; CPU is user+sys of the client process, RSS its peak.\n")
for w in ["w1", "w2", "w3", "w4", "w5", "w6", "mem"]:
    tools = [t for (ww, t) in summary if ww == w]
    if not tools: continue
    p(f"## {W[w]}\n")
    s3 = get(w, "s3sync") or get(w, "s3sync-warm-cache")
    head = "| tool | wall s | CPU s | peak RSS MB | runs | exit | check |" + (" s3sync wall ÷ tool wall |" if w in ("w1", "w2", "w6") else " MB/s |" if w == "w3" else "")
    p(head)
    p("|" + "---|" * (head.count("|") - 1))
    for t in tools:
        s = summary[(w, t)]
        extra = ""
        if w in ("w1", "w2", "w6"): extra = f" {s3 / s['wall']:.2f} |" if s3 and t != "s3sync" else " |"
        if w == "w3": extra = f" {2 * int(os.environ.get('W3_MB', '512')) * 1.048576 / s['wall']:.0f} |"
        p(f"| {NAMES.get(t, t)} | {s['wall']:.2f} | {s['cpu']:.2f} | {s['rss']:.0f} | {s['runs']} | {s['exit']} | {s['check']} |{extra}")
    p("")

# Targets
def fastest(w, peers=PEERS):
    c = [(get(w, t), t) for t in peers if get(w, t) is not None]
    return min(c) if c else (None, None)
p("## Targets\n")
p("| target | s3sync | best peer | ratio | met |")
p("|---|---|---|---|---|")
def target(name, mine, best, ratio_ok, fmt="{:.2f} s", higher=False):
    if mine is None or best[0] is None: return
    ratio = mine / best[0]
    p(f"| {name} | {fmt.format(mine)} | {fmt.format(best[0])} ({NAMES.get(best[1], best[1])}) | {ratio:.2f} | {'yes' if (ratio >= ratio_ok if higher else ratio <= ratio_ok) else 'NO'} |")
target("W1 wall ≤ 0.7 × fastest peer", get("w1", "s3sync"), fastest("w1"), 0.7)
target("W2 wall ≤ 0.5 × fastest peer", get("w2", "s3sync"), fastest("w2"), 0.5)
target("W6 wall ≤ 0.5 × fastest peer", get("w6", "s3sync"), fastest("w6"), 0.5)
if get("w3", "s3sync"):
    mb = 2 * int(os.environ.get("W3_MB", "512")) * 1.048576
    best = fastest("w3")
    if best[0]:
        for t in ("s3sync", "s3sync-env"):
            if get("w3", t): target(f"W3 MB/s ≥ 1.15 × fastest peer ({NAMES[t]})", mb / get("w3", t), (mb / best[0], best[1]), 1.15, "{:.0f} MB/s", higher=True)
if get("w1", "ceiling") is not None:
    for t in ("s3sync", "s3sync-env"):
        if get("w1", t) is not None: target(f"W1 wall ≤ 1.1 × the server's ceiling ({NAMES[t]})", get("w1", t), (get("w1", "ceiling"), "ceiling"), 1.1)
files = int(os.environ.get("W1_FILES", "10000"))
c = [(get("w1", t, "cpu"), t) for t in PEERS if get("w1", t, "cpu") is not None]
for t in ("s3sync", "s3sync-env"):
    if c and get("w1", t, "cpu") is not None:
        best = min(c)
        target(f"W1 CPU per file ≤ 0.5 × most efficient peer ({NAMES[t]})", get("w1", t, "cpu") / files * 1000, (best[0] / files * 1000, best[1]), 0.5, "{:.3f} ms")
for w, limit in (("w1", 80), ("w6", 100)):
    for t in ("s3sync", "s3sync-env"):
        if get(w, t, "rss") is not None:
            r = get(w, t, "rss"); p(f"| {w.upper()} peak RSS < {limit} MB ({NAMES[t]}) | {r:.0f} MB | | | {'yes' if r < limit else 'NO'} |")
for t in ("s3sync-cold-cache", "s3sync-warm-cache"):
    if get("mem", t, "rss") is not None:
        r = get("mem", t, "rss"); p(f"| 1M entries peak RSS < 150 MB ({NAMES[t]}) | {r:.0f} MB | | | {'yes' if r < 150 else 'NO'} |")
for w in ("w4", "w5"):
    for t in ["s3sync", "s3sync-env"] + PEERS:
        if (w, t) in summary: p(f"| {w.upper()} correct: {NAMES.get(t, t)} | {summary[(w, t)]['check']} | | | |")
p("")
open(md_path, "w").write("\n".join(out) + "\n")

# Chart data: wall seconds per workload (rows) and tool (columns).
tools = ["s3sync", "aws", "aws64", "rclone", "rclone32", "s3cmd"]
with open(dat_path, "w") as f:
    f.write("workload " + " ".join(f'"{NAMES[t]}"' for t in tools) + "\n")
    for w, label in [("w1", "W1 10k files"), ("w2", "W2 no-op 10k"), ("w3", "W3 2x512MiB"), ("w6", f"W6 no-op {int(os.environ.get('W6_FILES', '100000')) // 1000}k")]:
        if any(get(w, t) for t in tools):
            f.write(f'"{label}" ' + " ".join(f"{get(w, t):.3f}" if get(w, t) else "NaN" for t in tools) + "\n")
print(open(md_path).read())

# The README's headline table: one row per workload, one column per tool.
cols = ["s3sync", "aws", "aws64", "rclone", "rclone32", "s3cmd"]
head = ["workload"] + [NAMES[t].replace(" (max_concurrent_requests 64)", " 64").replace(" --transfers 32 --checkers 32", " 32/32") for t in cols]
lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
def cell(w, t):
    s = summary.get((w, t))
    if not s: return ""
    if w == "w3": return f"{2 * int(os.environ.get('W3_MB', '512')) * 1.048576 / s['wall']:.0f} MB/s"
    if w == "w4": return s["check"].split(";")[0].replace("uploaded=", "") + "/200 uploaded"
    if w == "w5": return "uploads again" if s["check"] == "uploaded=1" else "no upload"
    if w == "w6": return f"{s['wall']:.1f} s, {s['rss']:.0f} MB"
    return f"{s['wall']:.1f} s"
for w, label in [("w1", "W1 10,000 × 4 KiB, new"), ("w2", "W2 same, no change"), ("w3", "W3 2 × 512 MiB, new"),
                 ("w4", "W4 200 edited (100 same size+mtime)"), ("w5", "W5 40 MiB from aws, unchanged"), ("w6", f"W6 {int(os.environ.get('W6_FILES', '100000')):,} × 1 KiB, no change")]:
    if any((w, t) in summary for t in cols):
        lines.append(f"| {label} | " + " | ".join(cell(w, t) for t in cols) + " |")
if ("w1", "s3sync") in summary:
    lines.append("| W1 CPU per file | " + " | ".join(f"{get('w1', t, 'cpu') / files * 1000:.2f} ms" if get("w1", t, "cpu") is not None else "" for t in cols) + " |")
open(os.path.join(os.path.dirname(md_path), "headline.md"), "w").write("\n".join(lines) + "\n")
