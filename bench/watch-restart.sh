#!/usr/bin/env bash
# Benchmark: `s3sync watch` restart and reconcile over a tree that is in sync. Method: bench/README.md, section
# "watch restart".
#   bench/watch-restart.sh [FILES]   (default 100000) uses $S3SYNC_TEST_ENDPOINT (+ keys) if set, else its own server
# Measures, with the default configuration and one state_dir shared by sync and watch:
#   1. no-op `sync` of the tree (after a first sync filled bucket and hash cache): wall time and CPU (median of 3);
#   2. `watch` restart: time from exec to /healthz 200 (its initial sync is the reconcile), CPU used until then, and
#      how many files of the tree it opened for reading (strace -f -e trace=openat,open: no O_WRONLY/O_RDWR opens
#      under the tree's folder), median of 3;
#   3. reconcile: one `watch` with rescan_interval 20 s; the process's CPU (utime + stime) used by each of three
#      reconciles (from the full-sync counter's step on /metrics to its next step), against the no-op sync's CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${1:-100000}
BIN=${S3SYNC_BIN:-$ROOT/dist/s3sync}
[[ -x $BIN ]] || ./build.sh publish
WORK=$(mktemp -d /tmp/s3sync-bench-restart.XXXXXX)
SERVER_DIR=""
WATCH_PID=""
cleanup() {
    [[ -n $WATCH_PID ]] && kill -TERM "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null || true
    [[ -n $SERVER_DIR ]] && bash scripts/s3server.sh stop "$SERVER_DIR" --clean >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z ${S3SYNC_TEST_ENDPOINT:-} ]]; then
    SERVER_DIR=$WORK/server
    bash scripts/s3server.sh start "$SERVER_DIR" >/dev/null
    set -a; . "$SERVER_DIR/env"; set +a
fi
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3() { curl -sS -H "x-amz-content-sha256: $EMPTY_SHA" --user "$S3SYNC_TEST_ACCESS_KEY:$S3SYNC_TEST_SECRET_KEY" --aws-sigv4 "aws:amz:us-east-1:s3" "$@"; }
BUCKET=bench-restart-$RANDOM$RANDOM
s3 -f -X PUT "$S3SYNC_TEST_ENDPOINT/$BUCKET" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$WORK/data
mkdir -p "$DATA"
python3 - "$DATA" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:03d}")
    if i % 1000 == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:06d}.txt"), "w") as f: f.write(f"file {i}\n" * (1 + i % 7))
PY
cat >"$WORK/config.yml" <<YAML
endpoint: $S3SYNC_TEST_ENDPOINT
access_key: $S3SYNC_TEST_ACCESS_KEY
secret_access_key: $S3SYNC_TEST_SECRET_KEY
http_port: $PORT
state_dir: $WORK/state
sites:
- name: bench
  local_path: $DATA
  bucket: $BUCKET
YAML
"$BIN" sync -c "$WORK/config.yml" --quiet >/dev/null 2>&1 || { echo "bench: first sync failed" >&2; exit 1; }
sleep 2 # past the hash cache's 1 s racy margin, so every row is trusted

cpu_of() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "files: $FILES; load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
SYNC_T=(); SYNC_CPU=()
for run in 1 2 3; do
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$BIN" sync -c "$WORK/config.yml" --quiet >/dev/null 2>&1
    read -r wall user sys <"$WORK/time"
    SYNC_T+=("$wall"); SYNC_CPU+=("$(echo "$user + $sys" | bc)")
done
echo "no-op sync: wall $(printf '%s\n' "${SYNC_T[@]}" | median) s, CPU $(printf '%s\n' "${SYNC_CPU[@]}" | median) s (median of 3: ${SYNC_T[*]})"

healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz") == 200 ]]; }
W_T=(); W_CPU=()
start_watch() { # prefix command..., then waits for /healthz 200
    "$@" "$BIN" watch -c "$WORK/config.yml" --loglevel warn 2>"$WORK/watch.log" &
    WATCH_PID=$!
    until healthy; do
        kill -0 "$WATCH_PID" 2>/dev/null || { echo "bench: watch exited" >&2; cat "$WORK/watch.log" >&2; exit 1; }
        sleep 0.1 # a curl every 0.1 s: polling faster costs the watch a good part of a core on 2 cores
    done
}
stop_watch() { # the watch itself first (under strace it is strace's child)
    local c; for c in $(pgrep -P "$WATCH_PID" || true); do kill -TERM "$c" 2>/dev/null || true; done
    kill -TERM "$WATCH_PID" 2>/dev/null || true; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=""
}
for run in 1 2 3; do
    t0=$(date +%s%N)
    start_watch env
    t1=$(date +%s%N)
    W_CPU+=("$(cpu_of "$WATCH_PID")")
    W_T+=("$(echo "scale=3; ($t1 - $t0) / 1000000000" | bc)")
    stop_watch
done
# One more start under strace, for what it opens (strace slows every system call: not timed).
start_watch strace -f -qq -e trace=openat,open -o "$WORK/strace"
stop_watch
READS=$(grep -F "\"$DATA/" "$WORK/strace" | grep -v O_DIRECTORY | grep -vc ENOENT || true)
echo "watch restart to /healthz 200: $(printf '%s\n' "${W_T[@]}" | median) s (${W_T[*]}), CPU until then $(printf '%s\n' "${W_CPU[@]}" | median) s; files of the tree opened (strace run): $READS"

# Reconcile inside a running watch: CPU between steps of s3sync_full_syncs_total (rescan every 20 s).
sed 's/^sites:/rescan_interval: 20\nsites:/' "$WORK/config.yml" >"$WORK/config-rescan.yml"
full_syncs() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^s3sync_full_syncs_total/ { n += $2 } END { print n + 0 }'; }
"$BIN" watch -c "$WORK/config-rescan.yml" --loglevel warn 2>"$WORK/watch.log" &
WATCH_PID=$!
until healthy; do kill -0 "$WATCH_PID" 2>/dev/null || { cat "$WORK/watch.log" >&2; exit 1; }; sleep 0.1; done
wait_step() { local from=$1; until (( $(full_syncs) > from )); do sleep 0.5; done; }
R_CPU=()
n=$(full_syncs); wait_step "$n"   # the first reconcile after start-up: from its end the measured ones start
for run in 1 2 3; do
    n=$(full_syncs); c0=$(cpu_of "$WATCH_PID")
    wait_step "$n"
    R_CPU+=("$(echo "$(cpu_of "$WATCH_PID") - $c0" | bc)")
done
stop_watch
echo "reconcile in a running watch (rescan_interval 20 s): CPU $(printf '%s\n' "${R_CPU[@]}" | median) s per reconcile (${R_CPU[*]}), no-op sync CPU $(printf '%s\n' "${SYNC_CPU[@]}" | median) s"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
