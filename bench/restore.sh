#!/usr/bin/env bash
# The restore benchmark (issue 14): s3sync restore against aws s3 sync, rclone sync and s3cmd sync the other way round
# (bucket to folder), on one local Ceph, medians of RUNS runs in one run of this script.
#   bench/restore.sh                 W1 (10,000 x 4 KiB) and W3 (2 x 512 MiB), RUNS=3
#   ONLY=w1 RUNS=1 bench/restore.sh  a subset, one run
#   SMOKE=1 bench/restore.sh         shrunk (500 files, 2 x 16 MiB): checks the script in a minute
# Writes bench/restore.tsv (every run) and bench/RESTORE.md (medians, checks, the no-op trace counts).
# Method: bench/README.md ("restore"). Needs dist/s3sync (./build.sh publish); installs the peers and strace with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
ONLY=${ONLY:-"w1 w3"}
W1_FILES=${W1_FILES:-10000} W3_MB=${W3_MB:-512}
if [[ ${SMOKE:-0} == 1 ]]; then W1_FILES=500 W3_MB=16 RUNS=1; fi
# S5CMD=/path/to/s5cmd (built from its source) adds s5cmd at its defaults; RTT_MS=100 puts the server 100 ms away.
S5CMD=${S5CMD:-}
TOOLS=${TOOLS:-"s3sync aws rclone s3cmd${S5CMD:+ s5cmd}"}
WORK=${BENCH_WORK:-/tmp/s3sync-restore-bench}
OUT=${OUT:-$ROOT/bench/restore.tsv}
MD=${MD:-$ROOT/bench/RESTORE.md}
export DOTNET_CLI_TELEMETRY_OPTOUT=1

log() { echo "restore-bench: $(date -u +%T) $*" >&2; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

. bench/lib.sh
[[ -x dist/s3sync ]] || ./build.sh publish
bench_install awscli rclone s3cmd strace time python3
AWS=/usr/bin/aws RCLONE=/usr/bin/rclone S3CMD=/usr/bin/s3cmd S3SYNC=$ROOT/dist/s3sync

rm -rf "$WORK"; mkdir -p "$WORK"
log "starting Ceph RGW"
bench_server "$WORK/server"
bench_peers "$WORK"
BUCKET=restore
$AWS --endpoint-url "$EP" s3api create-bucket --bucket "$BUCKET" >/dev/null

# The source trees, uploaded once by s3sync (not timed): the objects carry s3sync's metadata (mtime, mode).
config() { # DIR PREFIX: an s3sync config restoring/syncing DIR <-> PREFIX, keys in the environment
    local cfg=$WORK/$2.yml
    printf 'endpoint: %s\nstate_dir: %s/state\nsites:\n- name: %s\n  local_path: %s\n  bucket: %s\n  bucket_path: %s\n' \
        "$EP" "$WORK" "$2" "$1" "$BUCKET" "$2" >"$cfg"
    echo "$cfg"
}
python3 - "$WORK/data" "$W1_FILES" "$W3_MB" <<'PY'
import os, sys
root, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "w1", f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f: f.write(os.urandom(4096))
os.makedirs(os.path.join(root, "w3"), exist_ok=True)
for name in ("a.bin", "b.bin"):
    with open(os.path.join(root, "w3", name), "wb") as f:
        for _ in range(mb): f.write(os.urandom(1 << 20))
PY
for w in $ONLY; do log "uploading $w"; "$S3SYNC" sync -c "$(config "$WORK/data/$w" "$w")" --quiet; done
sums() { (cd "$1" && find . -type f -exec md5sum {} + | sort); }
for w in $ONLY; do sums "$WORK/data/$w" >"$WORK/$w.sums"; done

cmd() { # TOOL WORKLOAD TARGET
    case $1 in
        s3sync | s3sync-again) echo "$S3SYNC restore -c $(config "$WORK/data/$2" "$2") --to $3 --quiet" ;;
        aws) echo "$AWS --endpoint-url $EP s3 sync --only-show-errors s3://$BUCKET/$2 $3" ;;
        rclone) echo "$RCLONE sync s3:$BUCKET/$2 $3" ;;
        s3cmd) echo "$S3CMD -c $WORK/s3cmd.cfg --no-progress --quiet sync s3://$BUCKET/$2/ $3/" ;;
        rclone32) echo "$RCLONE sync --transfers 32 --checkers 32 s3:$BUCKET/$2 $3" ;;
        s5cmd) echo "$S5CMD --endpoint-url $EP sync s3://$BUCKET/$2/* $3/" ;;
    esac
}
# The method's own check: a first restore under strace must show one GET per object (else the count below means nothing).
# Files of the trees are named fNNNNN.bin (W1) and a.bin, b.bin (W3): an open of one for reading is counted whether it
# names the whole path or only the name under a folder's descriptor (openat); temporary files have other names.
trace_restore() { # WORKLOAD TARGET [FLAGS]: sets GETS and OPENED from a traced s3sync restore into TARGET
    strace -f -qq -e trace=openat,write,sendto,sendmsg -s 160 -o "$WORK/trace" $(cmd s3sync "$1" "$2") ${3:-} >/dev/null 2>&1 || true
    GETS=$(grep -Ec "(write|sendto|sendmsg)\(.*\"GET /$BUCKET/$1/" "$WORK/trace" || true)
    OPENED=$(grep -E 'openat\([^,]*, "([^"]*/)?(f[0-9]{5}|a|b)\.bin", O_RDONLY' "$WORK/trace" | grep -vc O_DIRECTORY || true)
}
for w in $ONLY; do
    objects=$(wc -l <"$WORK/$w.sums")
    trace_restore "$w" "$WORK/out/check-$w"
    log "method check, $w: a first restore under strace sent $GETS object GETs for $objects objects"
    ((GETS >= objects)) || { log "the trace does not see the GETs: the no-op counts would mean nothing"; exit 1; }
    trace_restore "$w" "$WORK/out/check-$w" --rehash
    log "method check, $w: a restore with --rehash (no cache) over it opened $OPENED files for reading"
    ((OPENED >= objects)) || { log "the trace does not see the reads: the no-op counts would mean nothing"; exit 1; }
    rm -rf "$WORK/out/check-$w"
done
echo -e "date\tworkload\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tcheck" >"$OUT"
record() { # WORKLOAD TOOL RUN TARGET: times the tool's restore into TARGET and checks the bytes
    local w=$1 t=$2 r=$3 target=$4 rc=0 check=ok
    sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" $(cmd "$t" "$w" "$target") >"$WORK/log" 2>&1 || rc=$?
    cmp -s "$WORK/$w.sums" <(sums "$target") || check=differs
    read -r wall user sys rss < <(tail -1 "$WORK/time")   # a first line "Command exited with non-zero status N" may precede
    echo -e "$(date -u +%FT%TZ)\t$w\t$t\t$r\t$wall\t$user\t$sys\t$rss\t$rc\t$check" >>"$OUT"
    log "$w $t run $r: ${wall}s wall, ${user}+${sys}s CPU, $((rss / 1024)) MB, exit $rc, $check"
}
for r in $(seq "$RUNS"); do
    # Interleaved, and the order turned round each run, so no tool always goes first.
    order=($TOOLS); if ((r % 2 == 0)); then order=($(printf '%s\n' "${order[@]}" | tac)); fi
    for w in $ONLY; do
        for t in "${order[@]}"; do
            target=$WORK/out/$w-$t-$r
            record "$w" "$t" "$r" "$target"
            if [[ $t == s3sync ]]; then
                # The second restore over the restored tree: timed, then once more under strace for what it reads.
                record "$w" s3sync-again "$r" "$target"
                trace_restore "$w" "$target"
                echo -e "$w\t$r\t$GETS\t$OPENED" >>"$WORK/noop.tsv"
                log "$w s3sync again, run $r under strace: $GETS object GETs, $OPENED files of the tree opened for reading"
            fi
            [[ $t == s3sync && $r == "$RUNS" ]] || rm -rf "$target"
        done
    done
done

# --- report -----------------------------------------------------------------------------------------------------
python3 - "$OUT" "$WORK/noop.tsv" "$MD" "$RUNS" $((2 * W3_MB * 1048576)) <<'PY'
import csv, statistics, subprocess, sys, platform, datetime
tsv, noop, md, runs, w3_bytes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
names = {"s3sync": "s3sync restore", "s3sync-again": "s3sync restore again (over its own restore)", "aws": "aws s3 sync", "rclone": "rclone sync", "rclone32": "rclone sync 32/32", "s3cmd": "s3cmd sync", "s5cmd": "s5cmd sync"}
work = {"w1": "W1: 10,000 × 4 KiB into an empty folder", "w3": "W3: 2 × 512 MiB into an empty folder"}  # (SMOKE=1 shrinks them)
def ver(cmd):
    try: return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
    except Exception: return "?"
load = open("/proc/loadavg").read().split()[:3]
rtt = __import__("os").environ.get("RTT_MS", "0")
out = [f"# Restore benchmark: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
       f"Machine: {platform.machine()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, load average at the end {' '.join(load)}. "
       f"Tools: {ver(['dist/s3sync', '--version'])}; {ver(['/usr/bin/aws', '--version'])}; {ver(['/usr/bin/rclone', 'version'])}; {ver(['/usr/bin/s3cmd', '--version'])}. "
       f"Medians of {runs} runs of `bench/restore.sh` (method: bench/README.md){f', the server {rtt} ms away through bench/latency' if rtt != '0' else ''}. Every restored tree was checked byte for byte (md5sum of every file).", ""]
for w in work:
    wr = [r for r in rows if r["workload"] == w]
    if not wr: continue
    out += [f"## {work[w]}", "", "| tool | wall (s) | MB/s | CPU user+sys (s) | peak RSS (MB) | runs | checks |", "|---|---:|---:|---:|---:|---:|---|"]
    meds = {}
    for t in names:
        tr = [r for r in wr if r["tool"] == t]
        if not tr: continue
        wall = statistics.median(float(r["wall_s"]) for r in tr)
        cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in tr)
        rss = statistics.median(int(r["maxrss_kb"]) for r in tr) / 1024
        meds[t] = wall
        mbs = f"{w3_bytes / 1e6 / wall:.0f}" if w == "w3" and t != "s3sync-again" else ""
        checks = ", ".join(sorted({r["check"] + ("" if r["exit"] == "0" else f" (exit {r['exit']})") for r in tr}))
        out.append(f"| {names[t]} | {wall:.2f} | {mbs} | {cpu:.2f} | {rss:.0f} | {len(tr)} | {checks} |")
    peers = {t: v for t, v in meds.items() if t in ("aws", "rclone", "rclone32", "s3cmd", "s5cmd")}
    if peers and "s3sync" in meds:
        best = min(peers, key=peers.get)
        out += ["", f"s3sync restore / fastest peer ({names[best]}): **{meds['s3sync'] / peers[best]:.2f} ×** the wall time (target: at most 1.00 ×)."]
    out.append("")
try:
    n = [l.split("\t") for l in open(noop).read().split("\n") if l]
    out += ["## The second restore over the restored tree (under strace)", "", "| workload | run | object GETs | files of the tree opened for reading |", "|---|---:|---:|---:|"]
    out += [f"| {w} | {r} | {g} | {o} |" for w, r, g, o in n]
    out.append("")
except FileNotFoundError: pass
open(md, "w").write("\n".join(out))
print("\n".join(out))
PY
