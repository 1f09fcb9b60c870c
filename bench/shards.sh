#!/usr/bin/env bash
# N shards of W6 side by side against one process, on one local Ceph (issue #25's target: within 1.2 x one process's
# time on this 2-core machine; the point is that each shard walks and lists only its part).
#   bench/shards.sh            N=4 shards, RUNS=3
#   N=8 RUNS=5 bench/shards.sh
# W6 is 100,000 files of 1 KiB in 100 folders, uploaded once (not timed); each shard's hash cache is warmed once (not
# timed), then each run times the no-op of one process and of N processes started together (wall until the last one
# ends). Prints one line per run and the medians; writes bench/shards.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-4} RUNS=${RUNS:-3}
WORK=${BENCH_WORK:-/tmp/s3sync-shards}
S3SYNC=$PWD/dist/s3sync
[[ -x $S3SYNC ]] || ./build.sh publish
. bench/lib.sh
bench_install awscli python3 time
mkdir -p "$WORK"
bench_server "$WORK/server"
bench_peers "$WORK"
/usr/bin/aws --endpoint-url "$EP" s3api create-bucket --bucket shards >/dev/null
if [[ ! -f $WORK/w6.complete ]]; then
    rm -rf "$WORK/w6"
    python3 - "$WORK/w6" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/dir{d:03d}")
    for f in range(1000):
        with open(f"{root}/dir{d:03d}/file{f:04d}.bin", "wb") as h: h.write(os.urandom(1024))
PY
    touch "$WORK/w6.complete"
fi
cfg=$WORK/shards.yml
cat >"$cfg" <<EOF
endpoint: $EP
access_key: $S3SYNC_TEST_ACCESS_KEY
secret_access_key: $S3SYNC_TEST_SECRET_KEY
state_dir: $WORK/state
sites:
- name: w6
  local_path: $WORK/w6
  bucket: shards
  bucket_path: w6
EOF
chmod 600 "$cfg"
echo "shards: uploading W6 and warming every shard's hash cache (not timed)" >&2
"$S3SYNC" sync -c "$cfg" -q
for ((k = 0; k < N; k++)); do "$S3SYNC" sync -c "$cfg" --shard "$k/$N" -q; done

now() { date +%s%N; }
out=bench/shards.txt
{
    echo "# bench/shards.sh $(date -u +%F) N=$N RUNS=$RUNS: W6 no-op (100,000 x 1 KiB in 100 folders), local Ceph, $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'run\tone_process_s\t%d_shards_s\tratio\tone_cpu_s\tshards_cpu_s\n' "$N"
} >"$out"
ones=() alls=()
for ((r = 1; r <= RUNS; r++)); do
    s=$(now); /usr/bin/time -o "$WORK/one.time" -f "%U %S" "$S3SYNC" sync -c "$cfg" -q; e=$(now)
    one=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    s=$(now)
    pids=()
    for ((k = 0; k < N; k++)); do /usr/bin/time -o "$WORK/shard-$k.time" -f "%U %S" "$S3SYNC" sync -c "$cfg" --shard "$k/$N" -q & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    e=$(now)
    all=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    ones+=("$one") alls+=("$all")
    cpu1=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/one.time")
    cpun=$(cat "$WORK"/shard-*.time | awk '{ s += $1 + $2 } END { printf "%.2f", s }')
    printf '%d\t%s\t%s\t%s\t%s\t%s\n' "$r" "$one" "$all" "$(awk -v a="$all" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" "$cpu1" "$cpun" | tee -a "$out"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m1=$(median "${ones[@]}") mn=$(median "${alls[@]}")
printf 'median\t%s\t%s\t%s\n' "$m1" "$mn" "$(awk -v a="$mn" -v b="$m1" 'BEGIN { printf "%.2f", a / b }')" | tee -a "$out"
