#!/usr/bin/env bash
# Start/stop a throw-away single-node Ceph RADOS Gateway (S3) on 127.0.0.1
# for integration tests and demos.
#
#   scripts/s3server.sh install            install Debian packages if missing
#   scripts/s3server.sh start DIR          fresh cluster in DIR; prints endpoint URL
#   scripts/s3server.sh stop DIR [--clean] stop that instance (and rm -rf DIR)
#   scripts/s3server.sh status DIR         exit 0 if that instance is running
#   scripts/s3server.sh restart DIR        start radosgw again after it died (fault tests kill it);
#                                          mon and OSD keep running, so buckets and objects survive
#                                          (memstore keeps data in the OSD's RAM: killing the OSD loses it)
#
# Everything (config, data, logs, sockets, pids) lives in DIR, so several
# instances can run side by side and nothing touches /etc/ceph or /var/lib/ceph.
# stdout of `start` is exactly one line (the endpoint); all progress goes to
# stderr and to DIR/log/.
set -euo pipefail

readonly PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
readonly BINARIES=(radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool)
readonly ACCESS_KEY=S3SYNCTESTACCESSKEY0
readonly SECRET_KEY=s3sync-test-secret-key-0000000000000000000
readonly USER_UID=s3sync-test
# Keys of Ceph's testing KMS backend (rgw crypt s3 kms backend = testing): test keys, not secrets.
readonly KMS_KEY_ID=s3sync-test-kms-1
readonly KMS_KEY_1=czNzeW5jLXRlc3Qta21zLWtleS1vbmUtMzJieXRlcyE=
readonly KMS_KEY_2=czNzeW5jLXRlc3Qta21zLWtleS10d28tMzJieXRlcyE=
readonly STORAGE_CLASSES=(STANDARD_IA ONEZONE_IA INTELLIGENT_TIERING GLACIER
                          DEEP_ARCHIVE GLACIER_IR REDUCED_REDUNDANCY)
readonly DATA_POOL=default.rgw.buckets.data
# memstore keeps objects in RAM; this is only the advertised capacity used for
# "full" accounting, so make it large enough for the 2 x 512 MiB benchmark.
readonly MEMSTORE_BYTES=$((16 * 1024 * 1024 * 1024))

log() { echo "s3server: $(date +%T.%3N) $*" >&2; }

usage() {
    echo "usage: $0 install | start DIR | stop DIR [--clean] | status DIR | restart DIR" >&2
    exit 2
}

# Absolute path without requiring it to exist (ceph needs absolute paths).
abspath() {
    case $1 in
        /*) printf '%s\n' "${1%/}" ;;
        *) printf '%s\n' "$(pwd)/${1%/}" ;;
    esac
}

# True if something on 127.0.0.1:PORT answers an HTTP request (any status).
# Plain bash /dev/tcp, so curl need not be installed.
http_answers() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        read -r -t 3 line <&3 || exit 1
        [[ $line == HTTP/* ]]
    ) 2>/dev/null
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------- install

have_binaries() {
    local b
    for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || return 1; done
}

cmd_install() {
    have_binaries && return 0
    log "installing ${PACKAGES[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    local updated=0
    # Refresh the package lists only when apt does not know radosgw yet, or
    # when installing from the existing (maybe stale) lists fails.
    if ! apt-cache policy radosgw 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        as_root apt-get update >&2
        updated=1
    fi
    if ! as_root apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2; then
        ((updated == 0)) || { log "ERROR: apt-get install failed"; exit 1; }
        as_root apt-get update >&2
        as_root apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2
    fi
    have_binaries || { log "ERROR: ceph binaries still missing after apt-get install"; exit 1; }
}

# ---------------------------------------------------------------- processes

# True if PID is alive and was started for this instance (its command line
# names our ceph.conf) - guards against killing a recycled PID.
# (Builtins only: this runs for every process in /proc.)
is_ours() {
    local pid=$1 conf=$2 args
    mapfile -d '' args 2>/dev/null <"/proc/$pid/cmdline" || return 1
    [[ " ${args[*]-} " == *" $conf "* ]]
}

# Live PIDs of this instance: the recorded ones, newest first (radosgw, osd,
# mon), then any other process whose command line mentions DIR/ceph.conf
# (e.g. a daemon whose PID was not recorded yet).
instance_pids() {
    local dir=$1 conf="$1/ceph.conf" pid p
    {
        if [[ -f $dir/pids ]]; then
            tac "$dir/pids" | while read -r pid _; do
                if [[ $pid =~ ^[0-9]+$ ]] && is_ours "$pid" "$conf"; then echo "$pid"; fi
            done
        fi
        for p in /proc/[0-9]*; do
            pid=${p#/proc/}
            [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
            if is_ours "$pid" "$conf"; then echo "$pid"; fi
        done
        true
    } 2>/dev/null | awk '!seen[$0]++'
}

# Stop one daemon after the other, newest first: radosgw needs the mon and
# osd to shut down cleanly (without them it hangs on TERM). All daemons share
# a ~10 s budget for a clean exit; whatever is left then gets KILLed.
stop_instance() {
    local dir=$1 pids pid i=0
    pids=$(instance_pids "$dir")
    if [[ -n $pids ]]; then
        log "stopping $(echo $pids) in $dir"
        for pid in $pids; do
            kill -TERM "$pid" 2>/dev/null || true
            while ((i < 50)) && is_ours "$pid" "$dir/ceph.conf"; do
                sleep 0.2
                i=$((i + 1))
            done
        done
        pids=$(instance_pids "$dir")
        if [[ -n $pids ]]; then
            log "killing $(echo $pids)"
            kill -KILL $pids 2>/dev/null || true
            for ((i = 0; i < 25; i++)); do
                [[ -z $(instance_pids "$dir") ]] && break
                sleep 0.2
            done
        fi
    fi
    rm -f "$dir/pids"
}

# Start a daemon in the foreground (-f) as a background job in its own session
# so it outlives this script and ignores the caller's terminal signals; its
# stdout/stderr go to a file so callers reading our stdout never block on it.
spawn() {
    local name=$1; shift
    setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
    echo "$!" >>"$DIR/pids"
    log "started $name (pid $!)"
}

# ---------------------------------------------------------------- start

# Print an error plus the tail of each given (non-empty) log, then exit 1;
# the EXIT trap of `start` then stops whatever was started.
fail() {
    local msg=$1 logfile
    shift
    log "ERROR: $msg"
    for logfile in "$@"; do
        [[ -s $logfile ]] || continue
        log "---- last lines of $logfile ----"
        tail -n 40 "$logfile" >&2
    done
    exit 1
}

# Run a setup command, keeping its output in DIR/log/setup.log.
run() {
    echo "+ $(date +%T.%3N) $*" >>"$SETUP_LOG"
    "$@" >>"$SETUP_LOG" 2>&1 || fail "command failed: $*" "$SETUP_LOG"
}

ceph_cli() { ceph -c "$CONF" --connect-timeout 5 "$@"; }

# With auth none a fresh client can send its first command before it knows
# the cluster fsid, and the mon rejects it (EPERM 'wrong fsid'); retry such
# setup commands (all of them are idempotent).
ceph_retry() {
    local i
    for ((i = 1; i < 10; i++)); do
        ceph_cli "$@" 2>>"$SETUP_LOG" && return 0
        sleep 0.5
    done
    ceph_cli "$@"
}

# N distinct loopback ports that are free right now. They are drawn at random
# below the kernel's ephemeral range (32768+) so an outgoing connection cannot
# grab them before the daemon binds, and above the OSD's range (6800-7300).
pick_ports() {
    python3 - "$1" <<'PY'
import random, socket, sys
want, socks = int(sys.argv[1]), []
while len(socks) < want:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(20000, 32000)))
        socks.append(s)
    except OSError:
        s.close()
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

write_conf() {
    local fsid=$1
    # msgr2 makes radosgw hang at start (get_initial_auth_request returned -13),
    # so everything speaks v1 only, without cephx (throw-away local cluster).
    cat >"$CONF" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
# single OSD: replicate once, place on OSDs (not hosts), no mgr autoscaler
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1

[client]
# CLI tools must not fight over one admin socket
admin socket =
log file = $DIR/log/client.log

[mon]
mon data = $DIR/data/\$name
mon memory target = 268435456
# Each pool creation/app-enable is a map update; the default 1 s batching
# interval made start-up (and the first bucket/object PUT) seconds slower.
paxos propose interval = 0.01

[osd]
osd data = $DIR/data/\$name
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
# With auth none the OSD's own start-up crush commands are rejected by the
# mon ('wrong fsid'); the script places the OSD in the crush map itself.
osd crush update on start = false
osd class update on start = false
# Don't wait 5 s on TERM telling a (possibly already stopped) mon we're going.
osd fast shutdown notify mon = false

[client.rgw.a]
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
rgw data = $DIR/data/\$name
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw enable usage log = false
rgw thread pool size = 128
# reclaim tails of deleted/overwritten objects soon (memstore = RAM)
rgw gc obj min wait = 60
rgw gc processor period = 60
# SSE-C and SSE-KMS over plain HTTP (loopback only), with Ceph's built-in testing KMS: the keys below are
# fixed test keys (NAME=base64 of 32 bytes), named by x-amz-server-side-encryption-aws-kms-key-id.
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$KMS_KEY_1 s3sync-test-kms-2=$KMS_KEY_2
CONF
}

# fail, showing the log and stdout/stderr of the daemon started as NAME.
fail_daemon() { fail "$2" "$DIR/log/$1.log" "$DIR/log/$1.out"; }

# Poll CHECK (a function name) every 0.5 s until it succeeds (return 0) or
# the daemon started by spawn as NAME dies (return 1); fail on timeout.
wait_until() {
    local name=$1 check=$2 pid=$3 timeout=$4 i
    for ((i = 0; i < timeout * 2; i++)); do
        "$check" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.5
    done
    fail_daemon "$name" "timed out after ${timeout}s waiting for $name"
}

wait_for() {
    wait_until "$@" || fail_daemon "$1" "$1 exited during start-up"
}

mon_ready() { ceph_cli mon stat >/dev/null 2>&1; }
osd_ready() { ceph_cli osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1,'; }
rgw_ready() { http_answers "$RGW_PORT"; }

start_mon() {
    run monmaptool --create --fsid "$1" --addv a "[v1:127.0.0.1:$MON_PORT]" "$DIR/monmap"
    run ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap"
    spawn mon.a ceph-mon -c "$CONF" -f -i a
    MON_PID=$!
    wait_for mon.a mon_ready "$MON_PID" 60
}

start_osd() {
    local uuid id
    uuid=$(cat /proc/sys/kernel/random/uuid)
    id=$(ceph_retry osd new "$uuid" 2>>"$SETUP_LOG") || fail "ceph osd new failed" "$SETUP_LOG"
    [[ $id == 0 ]] || fail "unexpected osd id '$id'" "$SETUP_LOG"
    mkdir -p "$DIR/data/osd.0"
    run ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid"
    # weight 1 regardless of the (virtual) device size so PGs map to it
    run ceph_retry osd crush add osd.0 1 root=default host=localhost
    spawn osd.0 ceph-osd -c "$CONF" -f -i 0
    OSD_PID=$!
    wait_for osd.0 osd_ready "$OSD_PID" 60
}

# Zone/zonegroup/user setup is done before radosgw starts, so it reads the
# final configuration at start-up (no realm/period, hence no period commit).
configure_rgw() {
    local sc
    # Full (non-raw) radosgw-admin commands create the default zonegroup/zone
    # on a fresh cluster; the placement commands below need them to exist.
    run radosgw-admin -c "$CONF" user create --uid "$USER_UID" \
        --display-name "s3sync test user" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY"
    for sc in "${STORAGE_CLASSES[@]}"; do
        run radosgw-admin -c "$CONF" zonegroup placement add --rgw-zonegroup default \
            --placement-id default-placement --storage-class "$sc"
        # All classes share the STANDARD data pool: no extra pools/PGs to create
        # on first use; the class is still recorded and reported per object.
        run radosgw-admin -c "$CONF" zone placement add --rgw-zone default \
            --placement-id default-placement --storage-class "$sc" --data-pool "$DATA_POOL"
    done
}

# If someone else took the chosen port meanwhile, radosgw exits at once with
# "Address already in use": move to another port and try again.
start_rgw() {
    local attempt
    for attempt in 1 2 3; do
        spawn client.rgw.a radosgw -c "$CONF" -f -n client.rgw.a
        RGW_PID=$!
        wait_until client.rgw.a rgw_ready "$RGW_PID" 90 && return 0
        grep -qs 'Address already in use' "$DIR/log/client.rgw.a".{log,out} || break
        sed -i "/^$RGW_PID\$/d" "$DIR/pids"
        # keep the failed attempt's output for reference, out of the way
        mv "$DIR/log/client.rgw.a.out" "$DIR/log/client.rgw.a.out.$attempt"
        mv "$DIR/log/client.rgw.a.log" "$DIR/log/client.rgw.a.log.$attempt" 2>/dev/null || true
        RGW_PORT=$(pick_ports 1)
        log "rgw port taken; retrying on $RGW_PORT"
        sed -i "s/^rgw frontends = .*/rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT/" "$CONF"
    done
    fail_daemon client.rgw.a "client.rgw.a exited during start-up"
}

# On any failure during start, stop whatever this start launched.
on_start_exit() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        log "start failed (rc=$rc); stopping what was started (logs in $DIR/log)"
        stop_instance "$DIR" || true
    fi
    return "$rc"
}

cmd_start() {
    [[ $# -eq 1 ]] || usage
    DIR=$(abspath "$1")
    CONF=$DIR/ceph.conf
    SETUP_LOG=$DIR/log/setup.log
    local t0=$SECONDS fsid

    cmd_install
    mkdir -p "$DIR"
    # A previous instance in DIR would hold the data dirs: stop it, then wipe
    # only what this script creates.
    stop_instance "$DIR"
    rm -rf "$DIR/data" "$DIR/run" "$DIR/log" "$DIR/crash" \
        "$CONF" "$DIR/keyring" "$DIR/monmap" "$DIR/env"
    mkdir -p "$DIR/data/mon.a" "$DIR/run" "$DIR/log" "$DIR/crash"
    : >"$DIR/pids"
    trap on_start_exit EXIT

    read -r MON_PORT RGW_PORT < <(pick_ports 2) || true
    [[ -n ${RGW_PORT:-} ]] || fail "could not pick free ports (python3 missing?)"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    write_conf "$fsid"
    log "dir=$DIR mon=127.0.0.1:$MON_PORT rgw=127.0.0.1:$RGW_PORT"

    start_mon "$fsid"
    start_osd
    configure_rgw
    start_rgw

    cat >"$DIR/env" <<ENV
S3SYNC_TEST_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3SYNC_TEST_ACCESS_KEY=$ACCESS_KEY
S3SYNC_TEST_SECRET_KEY=$SECRET_KEY
S3SYNC_TEST_KMS_KEY_ID=$KMS_KEY_ID
ENV
    trap - EXIT
    log "ready in $((SECONDS - t0))s; env in $DIR/env"
    echo "http://127.0.0.1:$RGW_PORT"
}

# ---------------------------------------------------------------- stop/status

cmd_stop() {
    local dir="" clean=0 a
    for a in "$@"; do
        case $a in
            --clean) clean=1 ;;
            -*) usage ;;
            *) [[ -z $dir ]] || usage; dir=$a ;;
        esac
    done
    [[ -n $dir ]] || usage
    dir=$(abspath "$dir")
    if [[ -d $dir ]]; then
        stop_instance "$dir"
        if ((clean)); then rm -rf "$dir"; fi
    fi
    return 0
}

cmd_status() {
    [[ $# -eq 1 ]] || usage
    local dir pid n=0 endpoint
    dir=$(abspath "$1")
    [[ -s $dir/pids && -f $dir/env ]] || return 1
    while read -r pid _; do
        is_ours "$pid" "$dir/ceph.conf" || return 1
        n=$((n + 1))
    done <"$dir/pids"
    ((n == 3)) || return 1
    endpoint=$(sed -n 's/^S3SYNC_TEST_ENDPOINT=//p' "$dir/env")
    http_answers "${endpoint##*:}"
}

# Restart only the gateway of a running instance, on the same port.
cmd_restart() {
    [[ $# -eq 1 ]] || usage
    DIR=$(abspath "$1")
    CONF=$DIR/ceph.conf
    SETUP_LOG=$DIR/log/setup.log
    [[ -f $DIR/env ]] || fail "no instance in $DIR"
    local pid live=() rgw_alive=0
    while read -r pid _; do
        is_ours "$pid" "$CONF" || continue
        live+=("$pid")
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == radosgw* ]] && rgw_alive=1
    done <"$DIR/pids"
    ((${#live[@]} >= 2 || rgw_alive)) || fail "mon/osd of $DIR are gone (their data with them): use start"
    printf '%s\n' "${live[@]}" >"$DIR/pids"
    if ((rgw_alive)); then log "radosgw of $DIR is running"; return 0; fi
    RGW_PORT=$(sed -n 's/^S3SYNC_TEST_ENDPOINT=http:\/\/127.0.0.1://p' "$DIR/env")
    start_rgw
    log "radosgw restarted on port $RGW_PORT"
}

main() {
    [[ $# -ge 1 ]] || usage
    local cmd=$1; shift
    case $cmd in
        install) [[ $# -eq 0 ]] || usage; cmd_install ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        restart) cmd_restart "$@" ;;
        *) usage ;;
    esac
}

main "$@"
