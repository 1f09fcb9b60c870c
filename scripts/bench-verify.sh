#!/usr/bin/env bash
# Measures verify on a generated tree against a running server: time and peak memory (max RSS) of
#   sync (cold), verify, verify --deep, verify --download.
# Usage: scripts/bench-verify.sh SERVER_DIR [SMALL_FILES] [LARGE_FILES] [LARGE_MIB]
#   SERVER_DIR is a directory given to scripts/s3server.sh start (it holds env). Needs dist/s3sync (./build.sh publish).
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:?usage: scripts/bench-verify.sh SERVER_DIR [SMALL_FILES] [LARGE_FILES] [LARGE_MIB]}
small=${2:-2000}; large=${3:-8}; mib=${4:-32}
set -a; . "$server/env"; set +a
work=$(mktemp -d /tmp/s3sync-bench-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data/small" "$work/data/large"
for ((i = 0; i < small; i++)); do head -c 4096 /dev/urandom >"$work/data/small/f$i.txt"; done
for ((i = 0; i < large; i++)); do head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/data/large/l$i.bin"; done
bucket=bench-verify-$RANDOM$RANDOM
curl -fsS -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --user "$S3SYNC_TEST_ACCESS_KEY:$S3SYNC_TEST_SECRET_KEY" --aws-sigv4 "aws:amz:us-east-1:s3" "$S3SYNC_TEST_ENDPOINT/$bucket" >/dev/null
cat >"$work/config.yml" <<YAML
endpoint: $S3SYNC_TEST_ENDPOINT
access_key: $S3SYNC_TEST_ACCESS_KEY
secret_access_key: $S3SYNC_TEST_SECRET_KEY
loglevel: warn
sites:
- name: bench
  local_path: $work/data
  bucket: $bucket
YAML
echo "tree: $small files of 4 KiB + $large files of $mib MiB ($(du -sh "$work/data" | cut -f1))"
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" dist/s3sync "$@" -c "$work/config.yml" >"$work/out" 2>&1 || true
    read -r secs kib <"$work/time"
    printf '%-22s %6.1f s  max RSS %5d MiB  | %s\n' "$label" "$secs" $((kib / 1024)) "$(tail -1 "$work/out" | cut -c1-80)"
}
measure "sync (cold)" sync
measure "verify" verify
measure "verify --deep" verify --deep
measure "verify --download" verify --download
