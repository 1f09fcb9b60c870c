#!/usr/bin/env bash
# Start-up time and size of the published binaries: the median wall time of `s3sync --version` over N runs
# (default 20), with hyperfine when it is installed, else a loop timed with date +%s%N.
#   bench/startup.sh [BINARY...]        default: dist/s3sync and dist/static/s3sync (those that exist)
#   RUNS=50 bench/startup.sh
#   bench/startup.sh dist/s3sync /tmp/s5cmd   a peer in the same run: a binary named s5cmd runs `s5cmd version`
# Prints one line per binary: path, size in bytes and MB, median and min wall time in ms; with s5cmd among them, each
# binary's median as a multiple of s5cmd's (issue #27's target: s3sync --version at most 0.6 x).
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

declare -A medians
for b in "${binaries[@]}"; do
    size=$(stat -c %s "$b")
    flag=--version
    [[ $(basename "$b") == s5cmd ]] && flag=version # s5cmd has no --version flag
    "$b" $flag >/dev/null # warm the page cache
    if command -v hyperfine >/dev/null; then
        json=$(mktemp)
        hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" "$b $flag" >/dev/null 2>&1
        read -r median min < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f" % (r["median"]*1000, r["min"]*1000))' "$json")
        rm -f "$json"
        how="hyperfine -N"
    else
        read -r median min < <(for ((i = 0; i < RUNS; i++)); do
            s=$(date +%s%N); "$b" $flag >/dev/null; e=$(date +%s%N); echo $((e - s))
        done | median_ms)
        how="date +%s%N loop"
    fi
    medians[$b]=$median
    printf '%-22s %10d bytes (%5.1f MB)  %-9s median %6s ms, min %6s ms over %d runs (%s)\n' \
        "$b" "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')" "$flag" "$median" "$min" "$RUNS" "$how"
done
for peer in "${binaries[@]}"; do
    [[ $(basename "$peer") == s5cmd ]] || continue
    for b in "${binaries[@]}"; do
        [[ $b == "$peer" ]] && continue
        printf '%-22s %s x s5cmd (median against median, same run)\n' "$b" "$(awk -v a="${medians[$b]}" -v p="${medians[$peer]}" 'BEGIN { printf "%.2f", a / p }')"
    done
done
