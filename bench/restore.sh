#!/usr/bin/env bash
# A light restore measurement (issue #14): N files of 4 KiB (default 2,000) uploaded once by s3sync, then restored into
# an empty folder by s3sync restore, aws s3 sync and rclone sync the other way round, RUNS times each (default 3),
# interleaved; then s3sync restore over its own restored tree (the no-op). Prints the wall-time medians (seconds).
#   bench/restore.sh            N=2000 RUNS=3
# Starts its own Ceph RGW (scripts/s3server.sh) and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-2000}
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/s3sync-restore-bench.XXXXXX)
SERVER=$WORK/ceph
trap 'scripts/s3server.sh stop "$SERVER" --clean >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
EP=$(scripts/s3server.sh start "$SERVER")
source "$SERVER/env"
export AWS_ACCESS_KEY_ID=$S3SYNC_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3SYNC_TEST_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE
printf '[default]\nregion = us-east-1\n' >"$WORK/aws.cfg"
python3 - "$WORK/src" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f: f.write(os.urandom(4096))
PY
AWS_CONFIG_FILE=$WORK/aws.cfg /usr/bin/aws --endpoint-url "$EP" s3 mb s3://restore >/dev/null
cat >"$WORK/config.yml" <<YML
endpoint: $EP
state_dir: $WORK/state
sites:
- name: bench
  local_path: $WORK/src
  bucket: restore
  bucket_path: w
YML
"$ROOT/dist/s3sync" sync -c "$WORK/config.yml" --quiet
wall() { /usr/bin/time -f %e -o "$WORK/t" "$@" >/dev/null 2>&1; cat "$WORK/t"; }
declare -A T
for r in $(seq "$RUNS"); do
    T[s3sync]+="$(wall "$ROOT/dist/s3sync" restore -c "$WORK/config.yml" --to "$WORK/o1-$r" --quiet) "
    T[aws]+="$(wall env AWS_CONFIG_FILE="$WORK/aws.cfg" /usr/bin/aws --endpoint-url "$EP" s3 sync --only-show-errors s3://restore/w "$WORK/o2-$r") "
    if command -v rclone >/dev/null; then
        T[rclone]+="$(wall env RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Ceph RCLONE_CONFIG_B_ENDPOINT="$EP" RCLONE_CONFIG_B_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_B_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" RCLONE_CONFIG=/dev/null rclone sync b:restore/w "$WORK/o3-$r") "
    fi
    T[s3sync-noop]+="$(wall "$ROOT/dist/s3sync" restore -c "$WORK/config.yml" --to "$WORK/o1-$r" --quiet) "
    cmp <(cd "$WORK/src" && find . -type f -exec md5sum {} + | sort) <(cd "$WORK/o1-$r" && find . -type f -exec md5sum {} + | sort) >/dev/null || { echo "restore $r differs" >&2; exit 1; }
    rm -rf "$WORK/o2-$r" "$WORK/o3-$r"
done
for k in s3sync aws rclone s3sync-noop; do
    [[ -n ${T[$k]:-} ]] || continue
    printf '%-12s median %s s  (runs: %s)\n' "$k" "$(echo ${T[$k]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${T[$k]% }"
done
