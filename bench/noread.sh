#!/usr/bin/env bash
# No-read check (issue 16): after a sync, a no-op re-sync must open no file of the tree for reading.
#   bench/noread.sh              W1-like tree (SMALL files of 4 KiB) plus files of 1, 3, 4 and 12 parts
#   SMALL=10000 CREDS=env bench/noread.sh   keys in the environment (the users' case) instead of the file
#   W3=1 bench/noread.sh         W3's two new files of 512 MiB in the tree too
# Starts its own Ceph (scripts/s3server.sh), runs sync three times; the second and third run under strace
# (openat, pread64, read) and the script reports how many files of the tree were opened with O_RDONLY (not
# O_DIRECTORY) and how many bytes were read from them. Each sync also runs under /usr/bin/time for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-1000} CREDS=${CREDS:-file}
WORK=${BENCH_WORK:-/tmp/s3sync-noread}
. bench/lib.sh
bench_install strace time awscli
[[ -x dist/s3sync ]] || ./build.sh publish
rm -rf "$WORK"; mkdir -p "$WORK/tree" "$WORK/state"
bench_server "$WORK/ceph"
endpoint=$EP
/usr/bin/aws --endpoint-url "$endpoint" s3 mb s3://noread >/dev/null
for ((i = 0; i < SMALL; i++)); do d=$WORK/tree/d$((i % 100)); mkdir -p "$d"; head -c 4096 /dev/urandom >"$d/f$i"; done
MiB=$((1024 * 1024))
for parts in 1 3 4 12; do head -c $(( (parts - 1) * 8 * MiB + MiB )) /dev/urandom >"$WORK/tree/p$parts.bin"; done
# W3=1: W3's two files of 512 MiB as well (64 parts each)
if [[ ${W3:-0} == 1 ]]; then for i in 1 2; do head -c $((512 * MiB)) /dev/urandom >"$WORK/tree/big$i.bin"; done; fi
# Past the hash cache's racy window (a file written within 1 s of its hash is read once more, as git does).
sleep 2
keys=""
[[ $CREDS == file ]] && keys="access_key: $AWS_ACCESS_KEY_ID
secret_access_key: $AWS_SECRET_ACCESS_KEY"
cat >"$WORK/config.yml" <<YAML
endpoint: $endpoint
force_path_style: true
state_dir: $WORK/state
$keys
sites:
  - local_path: $WORK/tree
    bucket: noread
YAML
chmod 600 "$WORK/config.yml"
[[ $CREDS == file ]] && unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# Runs 2 and 3: the no-op. Run 4 checks the method: with --rehash every file must show up as opened.
for run in 1 2 3 4; do
    extra=(); ((run == 4)) && extra=(--rehash)
    if ((run == 1)); then
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/time$run" dist/s3sync sync -c "$WORK/config.yml" >/dev/null
    else
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/time$run" strace -f -qq -e trace=openat,pread64,read -o "$WORK/trace$run" \
            dist/s3sync sync -c "$WORK/config.yml" "${extra[@]}" >/dev/null
    fi
    read -r wall user sys rss <"$WORK/time$run"
    if ((run == 1)); then
        echo "sync $run (upload): ${wall}s wall, ${user}s user, ${sys}s sys, peak RSS $((rss / 1024)) MB"
    else
        opened=$(grep -E "openat\(AT_FDCWD, \"$WORK/tree/[^\"]*\", O_RDONLY" "$WORK/trace$run" | grep -vc O_DIRECTORY || true)
        if ((run == 4)); then
            files=$(find "$WORK/tree" -type f | wc -l)
            echo "method check: sync --rehash under strace opened $opened of the tree's $files files (must be all of them)"
        else
            echo "sync $run (no-op, under strace): ${wall}s wall, files of the tree opened for reading: $opened"
        fi
    fi
done
