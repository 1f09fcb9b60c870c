#!/usr/bin/env bash
# Benchmark of `s3sync watch` against the local S3 server (Ceph RGW). Method: bench/README.md, section "watch".
#   bench/watch.sh            uses $S3SYNC_TEST_ENDPOINT (+ keys) if set, else starts its own server and stops it after
# Measures, with the default configuration (watch_interval 1000 ms, upload_workers at its default):
#   1. close -> readable latency: 200 files written one at a time; for each, the time from the writer's close to the
#      first successful GET of the object (curl polling the server), median and 99th percentile;
#   2. burst: 1,000 files written as fast as bash can into 10 new folders; all must be listed, and the upload
#      counter (s3sync_uploads_total on /metrics) must grow by exactly 1,000 (none lost, none uploaded twice);
#      peak RSS of the process;
#   3. idle: with 10,000 files watched (9,000 more added and synced), CPU time used over 60 s of idleness
#      (utime + stime from /proc/PID/stat).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${S3SYNC_BIN:-$ROOT/dist/s3sync}
[[ -x $BIN ]] || ./build.sh publish
WORK=$(mktemp -d /tmp/s3sync-bench-watch.XXXXXX)
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
BUCKET=bench-watch-$RANDOM$RANDOM
s3 -f -X PUT "$S3SYNC_TEST_ENDPOINT/$BUCKET" >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$WORK/data
mkdir -p "$DATA"
cat >"$WORK/config.yml" <<YAML
endpoint: $S3SYNC_TEST_ENDPOINT
access_key: $S3SYNC_TEST_ACCESS_KEY
secret_access_key: $S3SYNC_TEST_SECRET_KEY
http_port: $PORT
sites:
- name: bench
  local_path: $DATA
  bucket: $BUCKET
YAML

metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1{site=\"bench\"}" '$1 == m { print $2 }'; }
now_ns() { date +%s%N; }
wait_until() { # seconds, description, command...
    local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
    until "$@"; do
        (( $(date +%s) < deadline )) || { echo "bench: timed out waiting for $what" >&2; exit 1; }
        sleep 0.2
    done
}

"$BIN" watch -c "$WORK/config.yml" --loglevel warn 2>"$WORK/watch.log" &
WATCH_PID=$!
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz") == 200 ]]; }
wait_until 60 "/healthz" healthy

# 1. close -> readable latency
LAT=$WORK/latency.txt
for i in $(seq 1 200); do
    printf 'latency sample %d\n' "$i" >"$DATA/lat-$i.txt"   # the shell closes the file here
    t0=$(now_ns)
    until [[ $(s3 -o /dev/null -w '%{http_code}' "$S3SYNC_TEST_ENDPOINT/$BUCKET/lat-$i.txt") == 200 ]]; do :; done
    echo $(( ($(now_ns) - t0) / 1000000 )) >>"$LAT"
done
sort -n "$LAT" -o "$LAT"
median=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$LAT")
p99=$(awk '{ a[NR] = $1 } END { i = int(NR * 0.99 + 0.999); print a[i] }' "$LAT")
max=$(tail -1 "$LAT")
echo "latency close->readable (200 files): median ${median} ms, p99 ${p99} ms, max ${max} ms"

# 2. burst of 1,000 files into 10 new folders
before=$(metric s3sync_uploads_total)
t0=$(now_ns)
for d in $(seq 0 9); do
    mkdir -p "$DATA/burst/d$d"
    for f in $(seq 0 99); do printf 'burst %d %d\n' "$d" "$f" >"$DATA/burst/d$d/f$f.txt"; done
done
burst_count() { s3 "$S3SYNC_TEST_ENDPOINT/$BUCKET?list-type=2&max-keys=1000&prefix=burst%2F" | grep -o '<Key>' | wc -l; }
all_listed() { [[ $(burst_count) -ge 1000 ]]; }
wait_until 300 "1,000 burst files in the bucket" all_listed
burst_ms=$(( ($(now_ns) - t0) / 1000000 ))
idle_queue() { [[ $(metric s3sync_queue_depth) == 0 ]]; }
wait_until 60 "an empty queue" idle_queue
sleep 3 # a late duplicate would come from a quiet timer (watch_interval, 1 s): give it the time to show
after=$(metric s3sync_uploads_total)
rss=$(awk '/VmHWM/ { print $2 }' /proc/$WATCH_PID/status)
echo "burst 1,000 files / 10 new folders: $(burst_count) listed in ${burst_ms} ms, uploads counted $((after - before)) (want 1000), peak RSS $((rss / 1024)) MiB"

# 3. idle with 10,000 files watched
for d in $(seq 0 89); do
    mkdir -p "$DATA/bulk/d$d"
    for f in $(seq 0 99); do printf 'bulk %d %d\n' "$d" "$f" >"$DATA/bulk/d$d/f$f.txt"; done
done
total_uploads() { [[ $(metric s3sync_uploads_total) -ge $((after + 9000)) ]]; }
wait_until 600 "9,000 more uploads" total_uploads
wait_until 60 "an empty queue" idle_queue
files=$(find "$DATA" -type f | wc -l)
sleep 2
ticks() { awk '{ print $14 + $15 }' /proc/$WATCH_PID/stat; }
hz=$(getconf CLK_TCK)
c0=$(ticks)
sleep 60
c1=$(ticks)
cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
echo "idle 60 s with $files files watched ($(metric s3sync_watched_folders) folders): CPU time ${cpu} s (utime+stime, ${hz} ticks/s)"
errors=$(metric s3sync_errors_count)
echo "errors counted: $errors"
