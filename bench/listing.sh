#!/usr/bin/env bash
# A listing of 1,000,000 objects 100 ms away, by folder (s3sync) and by one continuation chain (s3sync against a
# server that refuses the delimiter, and s5cmd), and the no-op sync of a million files both ways.
#   bench/listing.sh                   FILES=1000000 RTT_MS=100 (ONLY=ls or ONLY=noop: one half)
# The objects are not stored: bench/listing/server.py generates the listing of an in-sync bucket (keys m/dNNNNN/fNNNN,
# 1,000 a folder, empty); the local side is FILES empty files in /dev/shm (made once). Both listing servers sit behind
# bench/latency. Prints one line per measurement (wall, CPU, peak RSS); writes bench/listing.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-1000000} RTT_MS=${RTT_MS:-100}
WORK=${BENCH_WORK:-/tmp/s3sync-listing}
LOCAL=/dev/shm/s3sync-listing-$FILES
S3SYNC=$PWD/dist/s3sync S5CMD=${S5CMD:-}
[[ -x $S3SYNC ]] || ./build.sh publish
. bench/lib.sh
bench_install python3 time
mkdir -p "$WORK"
dotnet build bench/latency -c Release -o "$WORK/latency" >/dev/null
start() { # NAME ARGS...: a listing server behind the proxy; sets PORT_<NAME>
    local name=$1; shift
    exec {fd}> >(python3 bench/listing/server.py 0 "$FILES" "$@" >"$WORK/$name.server")
    for _ in $(seq 100); do [[ -s $WORK/$name.server ]] && break; sleep 0.1; done
    exec {fd2}> >(dotnet "$WORK/latency/S3Sync.Latency.dll" 0 "127.0.0.1:$(awk '{print $2}' "$WORK/$name.server")" "$RTT_MS" >"$WORK/$name.proxy")
    for _ in $(seq 600); do [[ -s $WORK/$name.proxy ]] && break; sleep 0.1; done
    [[ -s $WORK/$name.proxy ]] || { echo "listing: bench/latency did not start" >&2; exit 1; }
    printf -v "PORT_$name" '%s' "$(awk '{print $2}' "$WORK/$name.proxy")"
}
start folders
start chain --no-delimiter
if [[ ! -f $LOCAL/.made ]]; then
    python3 - "$LOCAL" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    if i % 1000 == 0: os.makedirs(f"{root}/d{i // 1000:05d}", exist_ok=True)
    open(f"{root}/d{i // 1000:05d}/f{i % 1000:04d}", "wb").close()
open(f"{root}/.made", "wb").close()
PY
fi
export AWS_ACCESS_KEY_ID=AKIALISTINGBENCH AWS_SECRET_ACCESS_KEY=listing-bench-not-checked AWS_DEFAULT_REGION=us-east-1
config() { # PORT NAME
    cat >"$WORK/$2.yml" <<EOF
endpoint: http://127.0.0.1:$1
state_dir: $WORK/state-$2
sites:
- name: listing
  local_path: $LOCAL
  bucket: bench
  bucket_path: m
  metadata: false
  exclusions: ['^\.made$']
EOF
    echo "$WORK/$2.yml"
}
out=bench/listing.txt
echo "# bench/listing.sh ${ONLY:-} $(date -u +%F): $FILES objects, ${RTT_MS} ms round trip, $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
timed() { # LABEL COMMAND...
    local label=$1; shift
    /usr/bin/time -o "$WORK/t" -f "%e %U %S %M" "$@" >"$WORK/out" 2>"$WORK/err" || true
    read -r wall user sys rss < <(tail -1 "$WORK/t")   # a first line "Command exited with non-zero status N" may precede
    [[ $(head -1 "$WORK/t") == Command* ]] && echo "listing: $label: $(head -1 "$WORK/t"): $(tail -2 "$WORK/err" | tr '\n' ' ')" >&2
    printf '%-46s %8.1f s wall %6.1f s CPU %5d MB peak  (%s lines)\n' "$label" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" $((rss / 1024)) "$(wc -l <"$WORK/out")" | tee -a "$out"
}
if [[ ${ONLY:-ls noop} == *ls* ]]; then
timed "s3sync ls, by folder" "$S3SYNC" ls s3://bench/m/ --endpoint "http://127.0.0.1:$PORT_folders"
timed "s3sync ls, one chain (delimiter refused)" "$S3SYNC" ls s3://bench/m/ --endpoint "http://127.0.0.1:$PORT_chain"
[[ -z $S5CMD ]] || timed "s5cmd ls (one chain)" "$S5CMD" --endpoint-url "http://127.0.0.1:$PORT_folders" ls 's3://bench/m/*'
fi
[[ ${ONLY:-ls noop} == *noop* ]] || exit 0
for name in folders chain; do
    port=PORT_$name
    cfg=$(config "${!port}" "$name")
    chmod 600 "$cfg"
    "$S3SYNC" sync -c "$cfg" -q || true   # fills the hash cache (not timed)
    timed "s3sync sync no-op, $([[ $name == folders ]] && echo by folder || echo one chain)" "$S3SYNC" sync -c "$cfg" -q
done
