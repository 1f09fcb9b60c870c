#!/usr/bin/env bash
# Start-up time and size of the published binaries: the median wall time of `s3sync --version` over N runs
# (default 20), with hyperfine when it is installed, else a loop timed with date +%s%N.
#   bench/startup.sh [BINARY...]        default: dist/s3sync and dist/static/s3sync (those that exist)
#   RUNS=50 bench/startup.sh
# Prints one line per binary: path, size in bytes and MB, median and min wall time in ms.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
binaries=("$@")
if ((${#binaries[@]} == 0)); then
    for b in dist/s3sync dist/static/s3sync; do [[ -x $b ]] && binaries+=("$b"); done
fi
((${#binaries[@]} > 0)) || { echo "no binary: run ./build.sh publish (and ./build.sh static)" >&2; exit 1; }

median_ms() { # reads nanoseconds, one a line; prints "median min" in ms
    sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f %.2f\n", m / 1e6, a[1] / 1e6 }'
}

for b in "${binaries[@]}"; do
    size=$(stat -c %s "$b")
    "$b" --version >/dev/null # warm the page cache
    if command -v hyperfine >/dev/null; then
        json=$(mktemp)
        hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" "$b --version" >/dev/null 2>&1
        read -r median min < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f" % (r["median"]*1000, r["min"]*1000))' "$json")
        rm -f "$json"
        how="hyperfine -N"
    else
        read -r median min < <(for ((i = 0; i < RUNS; i++)); do
            s=$(date +%s%N); "$b" --version >/dev/null; e=$(date +%s%N); echo $((e - s))
        done | median_ms)
        how="date +%s%N loop"
    fi
    printf '%-22s %10d bytes (%5.1f MB)  --version median %6s ms, min %6s ms over %d runs (%s)\n' \
        "$b" "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')" "$median" "$min" "$RUNS" "$how"
done
