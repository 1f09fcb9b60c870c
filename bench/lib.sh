# What the benchmark scripts share. Sourced from the repository's root (each script cds there first):
#   . bench/lib.sh
#   bench_install strace time        Debian packages, installed when missing
#   bench_server "$WORK/server"      a Ceph RGW of the script's own, stopped (and removed) when the script exits
#   bench_peers "$WORK"              aws, rclone and s3cmd pointed at it with the test keys
#   RTT_MS=100                       (set before bench_server) the server 100 ms away through bench/latency
# bench_server exports the server's env (S3SYNC_TEST_*), EP (the endpoint), HOSTPORT, and the test keys as
# AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY with AWS_DEFAULT_REGION=us-east-1.

bench_install() { # PACKAGE...
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    echo "bench: installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

bench_server() { # DIR
    BENCH_SERVER_DIR=$1
    bash scripts/s3server.sh stop "$BENCH_SERVER_DIR" --clean >/dev/null 2>&1 || true
    trap 'bash scripts/s3server.sh stop "$BENCH_SERVER_DIR" --clean >/dev/null 2>&1 || true' EXIT
    bash scripts/s3server.sh start "$BENCH_SERVER_DIR" >/dev/null
    set -a; . "$BENCH_SERVER_DIR/env"; set +a
    EP=$S3SYNC_TEST_ENDPOINT HOSTPORT=${S3SYNC_TEST_ENDPOINT#http://}
    if [[ ${RTT_MS:-0} -gt 0 ]]; then bench_latency "$BENCH_SERVER_DIR" "$RTT_MS"; fi
    export AWS_ACCESS_KEY_ID=$S3SYNC_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3SYNC_TEST_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
}

# RTT_MS=100: every tool talks to the server through bench/latency, a proxy that delays each chunk RTT_MS/2 each way
# and a new connection's first byte RTT_MS (the kernel here has no netem). EP and HOSTPORT then name the proxy; it
# stops with the script (its standard input closes).
bench_latency() { # DIR RTT_MS
    dotnet build bench/latency -c Release -o "$1/latency" >/dev/null
    exec {BENCH_LATENCY_FD}> >(dotnet "$1/latency/S3Sync.Latency.dll" 0 "$HOSTPORT" "$2" >"$1/latency.port")
    # The proxy's start-up takes seconds on a loaded machine: wait for its port (up to a minute), then fail clearly.
    for _ in $(seq 600); do [[ -s $1/latency.port ]] && break; sleep 0.1; done
    [[ -s $1/latency.port ]] || { echo "bench: bench/latency did not start within 60 s" >&2; exit 1; }
    HOSTPORT=127.0.0.1:$(awk '{print $2}' "$1/latency.port") EP=http://$HOSTPORT
    echo "bench: the server is ${2} ms away through bench/latency at $EP" >&2
}

bench_peers() { # WORK: writes $WORK/aws-default.cfg and $WORK/s3cmd.cfg
    unset AWS_CA_BUNDLE # rclone 1.60 fails when it is set
    export AWS_CONFIG_FILE=$1/aws-default.cfg
    printf '[default]\nregion = us-east-1\n' >"$1/aws-default.cfg"
    export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_S3_TYPE=s3 RCLONE_CONFIG_S3_PROVIDER=Ceph RCLONE_CONFIG_S3_ENDPOINT=$EP \
        RCLONE_CONFIG_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
        RCLONE_CONFIG_S3_REGION=us-east-1 RCLONE_CONFIG_S3_FORCE_PATH_STYLE=true
    # "direct:" is the server itself, never through bench/latency: the scripts' own checks (what a prefix holds) are not
    # timed, and through the proxy they would cost minutes at 100 ms.
    export RCLONE_CONFIG_DIRECT_TYPE=s3 RCLONE_CONFIG_DIRECT_PROVIDER=Ceph RCLONE_CONFIG_DIRECT_ENDPOINT=$S3SYNC_TEST_ENDPOINT \
        RCLONE_CONFIG_DIRECT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_DIRECT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
        RCLONE_CONFIG_DIRECT_REGION=us-east-1 RCLONE_CONFIG_DIRECT_FORCE_PATH_STYLE=true
    cat >"$1/s3cmd.cfg" <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
}
