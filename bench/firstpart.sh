#!/usr/bin/env bash
# First part on the wire (issue 16): how long after s3sync starts the first byte of a new large file's data leaves.
#   bench/firstpart.sh            one new 512 MiB file (MB=512), keys in the file; CREDS=env for environment keys
# Starts its own Ceph (scripts/s3server.sh), writes the file, waits 2 s, and runs `s3sync sync` once under
#   strace -f -ttt -e trace=execve,sendto,sendmsg,write,writev
# The result is the time from the execve of s3sync to the first system call that sends 64 KiB or more at once (a part's
# body: requests and headers are far smaller), median of RUNS runs (3), each to a fresh prefix. strace slows every
# system call, so the figure is an upper bound; the whole run's wall time under strace is printed but means little.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-512} RUNS=${RUNS:-3} CREDS=${CREDS:-file}
WORK=${BENCH_WORK:-/tmp/s3sync-firstpart}
. bench/lib.sh
bench_install strace time awscli
[[ -x dist/s3sync ]] || ./build.sh publish
rm -rf "$WORK"; mkdir -p "$WORK/tree" "$WORK/state"
bench_server "$WORK/ceph"
endpoint=$EP
/usr/bin/aws --endpoint-url "$endpoint" s3 mb s3://firstpart >/dev/null
head -c $((MB << 20)) /dev/urandom >"$WORK/tree/big.bin"
sleep 2   # past the hash cache's racy window: the file is as old as a file to back up usually is
keys=""
[[ $CREDS == file ]] && keys="access_key: $AWS_ACCESS_KEY_ID
secret_access_key: $AWS_SECRET_ACCESS_KEY"
results=()
for run in $(seq 1 "$RUNS"); do
    cat >"$WORK/config.yml" <<YAML
endpoint: $endpoint
force_path_style: true
state_dir: $WORK/state-$run
$keys
sites:
  - local_path: $WORK/tree
    bucket: firstpart
    bucket_path: run$run
YAML
    chmod 600 "$WORK/config.yml"
    (
        [[ $CREDS == file ]] && unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
        strace -f -ttt -qq --seccomp-bpf -e trace=execve,sendto,sendmsg,write,writev -o "$WORK/trace$run" dist/s3sync sync -c "$WORK/config.yml" >/dev/null
    )
    first=$(python3 - "$WORK/trace$run" <<'PY'
import re, sys
start = first = end = None
for line in open(sys.argv[1]):
    m = re.match(r"\d+\s+(\d+\.\d+) (\w+)\((.*)", line)
    if not m: continue
    t, call, rest = float(m.group(1)), m.group(2), m.group(3)
    end = t
    if call == "execve" and start is None: start = t
    if first is None and call in ("sendto", "write", "writev", "sendmsg"):
        sizes = [int(x) for x in re.findall(r"\.\.\., (\d+)", rest) + re.findall(r"iov_len=(\d+)", rest)]
        if sizes and max(sizes) >= 64 << 10: first = t
print(f"{first - start:.3f} {end - start:.2f}" if first and start else "none none")
PY
)
    read -r f total <<<"$first"
    echo "run $run: first part's bytes sent ${f}s after start (whole run under strace ${total}s)"
    results+=("$f")
done
echo "first part on the wire: median $(printf '%s\n' "${results[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') s of $RUNS runs ($MB MiB file, CREDS=$CREDS)"
