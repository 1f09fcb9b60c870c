#!/usr/bin/env bash
# The s3sync benchmark: s3sync sync against aws s3 sync, rclone sync and s3cmd sync on one local Ceph.
#   bench/run.sh                 every workload, RUNS=3 runs each (median reported)
#   RUNS=1 bench/run.sh          quicker, less stable
#   ONLY="w1 w2" bench/run.sh    a subset (w1 w2 w3 w4 w5 w6 mem)
#   TOOLS="s3sync rclone32" ...   a subset of the tools (names as in results.tsv); W6_TOOLS="..." W6's own list
# Writes bench/results.tsv (every run), bench/RESULTS.md (medians, ratios, checks, date) and bench/chart.svg.
# Method: bench/README.md. Needs dist/s3sync (./build.sh); installs the peers with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
RUNS_W1=${RUNS_W1:-$RUNS}
RUNS_W6=${RUNS_W6:-$RUNS}
ONLY=${ONLY:-"w1 w2 w3 w4 w5 w6 mem"}
# Sizes (the defaults are the issue's workloads; SMOKE=1 shrinks them to check the script itself).
W1_DIRS=${W1_DIRS:-100} W3_MB=${W3_MB:-512} W6_DIRS=${W6_DIRS:-100} MEM_FILES=${MEM_FILES:-1000000}
if [[ ${SMOKE:-0} == 1 ]]; then W1_DIRS=5 W3_MB=16 W6_DIRS=2 MEM_FILES=20000 RUNS=1 RUNS_W1=1 RUNS_W6=1; fi
WORK=${BENCH_WORK:-/tmp/s3sync-bench}
DATA=$WORK/data
OUT=$ROOT/bench/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { echo "bench: $(date -u +%T) $*" >&2; }
want() { [[ " $ONLY " == *" $1 "* ]]; }
tools() { local t; for t in "$@"; do [[ -z ${TOOLS:-} || " $TOOLS " == *" $t "* ]] && echo "$t"; done; return 0; }
# A time budget: past it, loops stop after their first run (RESULTS.md shows the runs counted).
BUDGET_S=$(( ${BUDGET_MIN:-90} * 60 )); START_S=$SECONDS
more_runs() { # RUN: true when run number RUN may go ahead
    (( $1 == 1 || SECONDS - START_S < BUDGET_S )) || { log "over the ${BUDGET_MIN:-90} min budget: no run $1"; return 1; }
}

# --- tools ------------------------------------------------------------------------------------------------------
. bench/lib.sh
[[ -x dist/s3sync ]] || ./build.sh publish
bench_install awscli rclone s3cmd gnuplot-nox time python3
AWS=/usr/bin/aws          # Debian's aws-cli v2; an older v1 may come first on PATH
RCLONE=/usr/bin/rclone
S3CMD=/usr/bin/s3cmd
S3SYNC=$ROOT/dist/s3sync
CEILING=$WORK/ceiling-bin/S3Sync.Ceiling   # the server's ceiling for W1: bench/ceiling (same signed PUTs, nothing else)

if want w1 && [[ -z ${TOOLS:-} || " $TOOLS " == *" ceiling "* ]]; then
    mkdir -p "$WORK"; log "publishing bench/ceiling (Native AOT)"
    dotnet publish bench/ceiling -c Release -o "$WORK/ceiling-bin" >"$WORK/ceiling-build.log" 2>&1 || { cat "$WORK/ceiling-build.log" >&2; exit 1; }
fi

# --- server -----------------------------------------------------------------------------------------------------
mkdir -p "$WORK"
log "starting Ceph RGW"
bench_server "$WORK/server"
bench_peers "$WORK"
BUCKET=bench
printf '[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 64\n' >"$WORK/aws-64.cfg"
$AWS --endpoint-url "$EP" s3api create-bucket --bucket "$BUCKET" >/dev/null

# s3sync's config for one local folder and prefix (defaults otherwise, cache in $WORK/state).
# With a third argument "env" the file holds no keys: they come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the users' case).
s3sync_config() { # DIR PREFIX [env]
    local cfg=$WORK/s3sync-${2//\//_}${3:+-$3}.yml keys
    keys=$(printf 'access_key: %s\nsecret_access_key: %s' "$S3SYNC_TEST_ACCESS_KEY" "$S3SYNC_TEST_SECRET_KEY")
    [[ ${3:-} == env ]] && keys="# keys from the environment"
    cat >"$cfg" <<EOF
endpoint: $EP
$keys
state_dir: $WORK/state
sites:
- name: ${2//\//_}
  local_path: $1
  bucket: $BUCKET
  bucket_path: $2
EOF
    echo "$cfg"
}

# The command line of TOOL syncing DIR to PREFIX.
tool_cmd() { # TOOL DIR PREFIX
    local t=$1 dir=$2 prefix=$3
    case $t in
        s3sync) echo "$S3SYNC sync -c $(s3sync_config "$dir" "$prefix")" ;;
        s3sync-env) echo "$S3SYNC sync -c $(s3sync_config "$dir" "$prefix" env)" ;;
        s3sync-w10) echo "$S3SYNC sync --workers 10 -c $(s3sync_config "$dir" "$prefix")" ;;
        s3sync-rehash) echo "$S3SYNC sync --rehash -c $(s3sync_config "$dir" "$prefix")" ;;
        aws) echo "env AWS_CONFIG_FILE=$WORK/aws-default.cfg $AWS --endpoint-url $EP s3 sync --only-show-errors $dir s3://$BUCKET/$prefix" ;;
        aws64) echo "env AWS_CONFIG_FILE=$WORK/aws-64.cfg $AWS --endpoint-url $EP s3 sync --only-show-errors $dir s3://$BUCKET/$prefix" ;;
        rclone) echo "$RCLONE sync $dir s3:$BUCKET/$prefix" ;;
        rclone32) echo "$RCLONE sync --transfers 32 --checkers 32 $dir s3:$BUCKET/$prefix" ;;
        rclone-checksum) echo "$RCLONE sync --checksum $dir s3:$BUCKET/$prefix" ;;
        s3cmd) echo "$S3CMD -c $WORK/s3cmd.cfg --no-progress --quiet sync $dir/ s3://$BUCKET/$prefix/" ;;
        s5cmd) echo "$S5CMD --endpoint-url $EP sync $dir/ s3://$BUCKET/$prefix/" ;;
        ceiling) echo "$CEILING $EP $BUCKET $prefix $dir" ;;
    esac
}

# Runs one timed command; appends "workload tool run wall user sys maxrss_kb exit check" to results.tsv.
timed() { # WORKLOAD TOOL RUN CHECK_FN -- command...
    local w=$1 t=$2 r=$3 check=$4; shift 5
    local tf=$WORK/time.out rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
    local ok; ok=$($check) || ok="check-failed"
    read -r wall user sys rss < <(tail -1 "$tf") || true   # a first line "Command exited with non-zero status N" may precede
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$t" "$r" "$wall" "$user" "$sys" "$rss" "$rc" "$ok" >>"$OUT"
    log "$w $t run $r: ${wall}s wall, $(python3 -c "print(round($user+$sys,2))")s cpu, $((rss / 1024)) MB, exit $rc, $ok"
    if [[ $rc -ne 0 ]]; then head -5 "$WORK/last.err" >&2; fi
}

# Lists PREFIX: "key size md5-or-etag mtime" per object (server LastModified, from the listing only).
listing() { # PREFIX
    $RCLONE lsjson -R --files-only --hash --no-mimetype --use-server-modtime "direct:$BUCKET/$1" 2>/dev/null |
        python3 -c 'import json,sys
for o in json.load(sys.stdin): print(o["Path"], o["Size"], (o.get("Hashes") or {}).get("md5","-"), o["ModTime"])'
}

# "ok" when PREFIX holds exactly the files of DIR with their sizes and MD5s (multipart objects: size only).
check_tree() { # DIR PREFIX
    python3 - "$1" <(listing "$2") <<'PY'
import hashlib, os, sys
root, listed = sys.argv[1], {}
for line in open(sys.argv[2]):
    k, size, md5, _ = line.rstrip("\n").rsplit(" ", 3); listed[k] = (int(size), md5)
local = {}
for d, _, fs in os.walk(root):
    for f in fs:
        p = os.path.join(d, f); local[os.path.relpath(p, root)] = p
bad = [k for k in local if k not in listed] + [k for k in listed if k not in local]
for k, p in local.items():
    if k in listed:
        size, md5 = listed[k]
        if size != os.path.getsize(p) or (md5 != "-" and size <= 64 << 20 and md5 != hashlib.md5(open(p, "rb").read()).hexdigest()): bad.append(k)
print("ok" if not bad else f"WRONG:{len(bad)}({bad[0]})")
PY
}

rm -f "$OUT"
printf 'workload\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tcheck\n' >"$OUT"
PEERS="aws aws64 rclone rclone32 s3cmd"
# s5cmd is not in Debian: S5CMD=/path/to/s5cmd (built from its source with golang-go) adds it, at its defaults
# (256 workers, size and mtime comparison).
S5CMD=${S5CMD:-}
if [[ -n $S5CMD ]]; then PEERS="$PEERS s5cmd"; fi
ALL="s3sync s3sync-env $PEERS"
mkdir -p "$DATA"

# --- W1: 10,000 files of 4 KiB in 100 folders, to an empty prefix ------------------------------------------------
W1=$DATA/w1
if want w1 || want w2 || want w4; then
    rm -rf "$W1"
    python3 - "$W1" "$W1_DIRS" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(int(sys.argv[2])):
    os.makedirs(f"{root}/dir{d:03d}")
    for f in range(100):
        with open(f"{root}/dir{d:03d}/file{f:03d}.bin", "wb") as h: h.write(os.urandom(4096))
PY
    # Older than the hash cache's racy window (1 s), as a tree usually is.
    sleep 2
fi
if want w1; then
    for r in $(seq 1 "$RUNS_W1"); do
        more_runs "$r" || break
        for t in $(tools ceiling $ALL s3sync-w10); do
            p=w1-$t-$r
            timed w1 "$t" "$r" "check_tree $W1 $p" -- $(tool_cmd "$t" "$W1" "$p")
        done
    done
fi

# --- W2: W1 again, nothing changed -------------------------------------------------------------------------------
if want w2; then
    for t in $(tools $ALL); do [[ -n $(listing "w1-$t-1" 2>/dev/null | head -1) ]] || $(tool_cmd "$t" "$W1" "w1-$t-1") >/dev/null 2>&1; done
    for r in $(seq 1 "$RUNS"); do
        more_runs "$r" || break
        for t in $(tools $ALL rclone-checksum s3sync-rehash); do
            base=$t; [[ $t == rclone-checksum ]] && base=rclone; [[ $t == s3sync-rehash ]] && base=s3sync
            timed w2 "$t" "$r" "check_tree $W1 w1-$base-1" -- $(tool_cmd "$t" "$W1" "w1-$base-1")
        done
    done
fi

# --- W4: after W1, 100 files rewritten with the same size and old mtime, 100 with a newer mtime -------------------
if want w4; then
    # One edited copy of W1 for every tool, each synced to a prefix it uploaded itself in W1 (no new uploads of 10,000).
    rm -rf "$DATA/w4"; cp -a "$W1" "$DATA/w4"
    sleep 1.1   # so that an edit is newer than every upload, and a re-upload shows a new LastModified second
    python3 - "$DATA/w4" "$W1_DIRS" <<'PY'
import os, sys
root, dirs = sys.argv[1], int(sys.argv[2])
for i in range(200):
    p = f"{root}/dir{i % dirs:03d}/file{i // dirs + 10:03d}.bin"
    st = os.stat(p)
    with open(p, "wb") as h: h.write(os.urandom(4096))                    # an edit: mtime is now
    if i < 100: os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))        # same size, old mtime restored
PY
    w4check() {
        python3 - "$DATA/w4" "$WORK/w4-before.txt" <(listing "$p") "$W1_DIRS" <<'PY'
import hashlib, sys
root, dirs = sys.argv[1], int(sys.argv[4])
before = {l.split(" ")[0]: l for l in open(sys.argv[2])}
after = {l.split(" ")[0]: l.split(" ") for l in open(sys.argv[3])}
changed = [f"dir{i % dirs:03d}/file{i // dirs + 10:03d}.bin" for i in range(200)]
uploaded = sum(1 for k, l in after.items() if before.get(k) != " ".join(l))
right = sum(1 for k in changed if after[k][2] == hashlib.md5(open(f"{root}/{k}", "rb").read()).hexdigest())
print(f"uploaded={uploaded};correct={right}/200")
PY
    }
    # Run R edits the prefix each tool uploaded in W1's run R (so every W4 run starts from that tool's own upload).
    for r in $(seq 1 "$RUNS"); do
        more_runs "$r" || break
        for t in $(tools $ALL rclone-checksum); do
            base=$t; p=w1-$t-$r
            if [[ $t == rclone-checksum ]]; then base=rclone32; p=w4-rclone-checksum-$r; fi
            [[ -n $(listing "$p" 2>/dev/null | head -1) ]] || $(tool_cmd "$base" "$W1" "$p") >/dev/null 2>&1
            listing "$p" >"$WORK/w4-before.txt"
            timed w4 "$t" "$r" w4check -- $(tool_cmd "$t" "$DATA/w4" "$p")
        done
    done
fi
# W1..W4 leave about 300,000 objects (deleting them took over 8 minutes): the rest use a fresh bucket, so their
# listings do not walk a large bucket index. memstore keeps them in RAM (about 2 GB), which the machine has.
if want w1 || want w4; then BUCKET=bench-2; $AWS --endpoint-url "$EP" s3api create-bucket --bucket "$BUCKET" >/dev/null; fi

# --- W3: 2 files of 512 MiB, to an empty prefix ------------------------------------------------------------------
if want w3; then
    mkdir -p "$DATA/w3"
    for i in 1 2; do [[ -f $DATA/w3/big$i.bin && $(stat -c %s "$DATA/w3/big$i.bin") == $((W3_MB << 20)) ]] || head -c $((W3_MB << 20)) /dev/urandom >"$DATA/w3/big$i.bin"; done
    sleep 2
    for r in $(seq 1 "$RUNS"); do
        more_runs "$r" || break
        for t in $(tools $ALL); do
            p=w3-$t-$r
            timed w3 "$t" "$r" "check_tree $DATA/w3 $p" -- $(tool_cmd "$t" "$DATA/w3" "$p")
            $RCLONE purge "direct:$BUCKET/$p" >/dev/null 2>&1 || true
        done
    done
fi

# --- W5: a 40 MiB file uploaded by aws (8 MiB parts), then each tool's sync over it --------------------------------
if want w5; then
    mkdir -p "$DATA/w5"
    [[ -f $DATA/w5/forty.bin ]] || head -c $((40 << 20)) /dev/urandom >"$DATA/w5/forty.bin"
    for r in $(seq 1 "$RUNS"); do
        more_runs "$r" || break
        for t in $(tools $ALL rclone-checksum); do
            p=w5-$t-$r
            $(tool_cmd aws "$DATA/w5" "$p") >/dev/null
            listing "$p" >"$WORK/w5-before.txt"
            w5check() { if [[ $(listing "$p") == "$(cat "$WORK/w5-before.txt")" ]]; then echo "uploaded=0"; else echo "uploaded=1"; fi; }
            sleep 1.1
            timed w5 "$t" "$r" w5check -- $(tool_cmd "$t" "$DATA/w5" "$p")
        done
    done
fi

# --- Memory: 1,000,000 entries on each side through SiteSync (walk, listing, merge, compare, cache) -------------
if want mem; then
    log "memory run: building bench/memory"
    dotnet build bench/memory -c Release -o "$WORK/memory-bin" >"$WORK/memory-build.log" 2>&1 || { cat "$WORK/memory-build.log" >&2; exit 1; }
    rm -rf "$WORK/memory-state"
    log "memory run: making 1,000,000 empty files in /dev/shm (not timed)"
    "$WORK/memory-bin/MemoryRun" /dev/shm/s3sync-bench-memory "$MEM_FILES" --make-only
    mem_check() { grep -o 'unchanged=[0-9]*' "$WORK/last.out" || echo "none"; }
    # Run 1 fills the hash cache (a million rows written), run 2 reads it (a million lookups).
    timed mem "s3sync-cold-cache" 1 mem_check -- "$WORK/memory-bin/MemoryRun" /dev/shm/s3sync-bench-memory "$MEM_FILES" "$WORK/memory-state"
    cat "$WORK/last.out" >&2
    timed mem "s3sync-warm-cache" 1 mem_check -- "$WORK/memory-bin/MemoryRun" /dev/shm/s3sync-bench-memory "$MEM_FILES" "$WORK/memory-state"
    cat "$WORK/last.out" >&2
    rm -rf /dev/shm/s3sync-bench-memory
fi

# --- W6: 100,000 files of 1 KiB, in sync: the no-op -----------------------------------------------------------------
if want w6; then
    W6=$DATA/w6
    if [[ ! -f $DATA/w6.complete-$W6_DIRS ]]; then
        rm -rf "$W6" "$DATA"/w6.complete-*
        python3 - "$W6" "$W6_DIRS" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(int(sys.argv[2])):
    os.makedirs(f"{root}/dir{d:03d}")
    for f in range(1000):
        with open(f"{root}/dir{d:03d}/file{f:04d}.bin", "wb") as h: h.write(os.urandom(1024))
PY
        touch "$DATA/w6.complete-$W6_DIRS"
    fi
    log "W6: uploading 100,000 files with s3sync (setup, not timed)"
    W6CFG=$(s3sync_config "$W6" w6)
    $S3SYNC sync -c "$W6CFG" >/dev/null
    count_w6() { echo "count=$($RCLONE size --json "direct:$BUCKET/w6" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"; }
    for r in $(seq 1 "$RUNS_W6"); do
        more_runs "$r" || break
        for t in $(tools ${W6_TOOLS:-$ALL s3sync-rehash}); do
            base=$t; [[ $t == s3sync-rehash ]] && base=s3sync
            timed w6 "$t" "$r" count_w6 -- $(tool_cmd "$t" "$W6" w6)
        done
    done
fi

log "writing bench/RESULTS.md and bench/chart.svg"
export W3_MB W1_FILES=$((W1_DIRS * 100)) W6_FILES=$((W6_DIRS * 1000))
python3 bench/report.py "$OUT" bench/RESULTS.md bench/chart.dat
gnuplot bench/chart.gp >bench/chart.svg
log "done"
