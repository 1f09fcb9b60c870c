#!/usr/bin/env bash
# s3sync build entry point.
#   ./build.sh            publish dist/s3sync (Native AOT), start the local S3 server, sync examples/demo/ into it
#   ./build.sh test       publish, start the server, run every test, stop the server; prints "N passed, N failed"
#   ./build.sh publish    only publish dist/s3sync (fails on any IL2xxx/IL3xxx warning)
#   ./build.sh static     publish dist/static/s3sync: fully static (glibc, OpenSSL linked in), runs on any x64 Linux
#   ./build.sh rootfs     static, then dist/rootfs: exactly what the scratch image of Dockerfile.alpine holds
#   ./build.sh docs       regenerate docs/commands.md and docs/s3sync.1 from the command tree (a test checks them)
# Installs what is missing (clang, lld, zlib for AOT; Ceph for the server) with apt on Debian.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "build: $*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]}"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_build_tools() {
    command -v dotnet >/dev/null || { log "the .NET 10 SDK is required (dotnet not on PATH)"; exit 1; }
    apt_install clang lld zlib1g-dev libsqlite3-dev curl
}

# Publishes the AOT binary and fails on any trimming/AOT warning (IL2xxx/IL3xxx).
publish() {
    ensure_build_tools
    mkdir -p dist
    log "publishing dist/s3sync (Native AOT)"
    local out=dist/publish.log
    if ! dotnet publish src/S3Sync.Cli -c Release -r linux-x64 -o dist -p:DebugType=none >"$out" 2>&1; then
        cat "$out" >&2; log "publish failed"; exit 1
    fi
    local warnings
    warnings=$(grep -Eo 'warning IL[23][0-9]{3}[^[]*' "$out" | sort -u || true)
    if [[ -n $warnings ]]; then
        echo "$warnings" >&2; log "publish shows IL2xxx/IL3xxx warnings: Native AOT is not clean"; exit 1
    fi
    rm -f dist/*.dbg dist/*.pdb
    log "dist/s3sync: $(stat -c %s dist/s3sync) bytes, 0 IL2xxx/IL3xxx warnings"
}

# A fully static glibc binary: no interpreter, no shared libraries (OpenSSL and zlib linked in). Its own
# intermediate folder, so the dynamic publish's link is never reused for it.
publish_static() {
    ensure_build_tools
    apt_install libssl-dev cmake make   # StaticOpenSslLinking builds the OpenSSL shim with cmake
    mkdir -p dist/static
    log "publishing dist/static/s3sync (Native AOT, fully static)"
    local out=dist/static/publish.log
    if ! dotnet publish src/S3Sync.Cli -c Release -r linux-x64 -o dist/static -p:DebugType=none \
        -p:StaticExecutable=true -p:LinkerFlavor=lld -p:StaticOpenSslLinking=true \
        -p:NativeIntermediateOutputPath="$ROOT/src/S3Sync.Cli/obj/static/" >"$out" 2>&1; then
        cat "$out" >&2; log "static publish failed"; exit 1
    fi
    if grep -Eq 'warning IL[23][0-9]{3}' "$out"; then
        grep -Eo 'warning IL[23][0-9]{3}[^[]*' "$out" | sort -u >&2; log "static publish shows IL2xxx/IL3xxx warnings"; exit 1
    fi
    rm -f dist/static/*.dbg dist/static/*.pdb
    if readelf -lW dist/static/s3sync | grep -q INTERP || readelf -dW dist/static/s3sync | grep -q NEEDED; then
        log "dist/static/s3sync is not fully static:"; readelf -dW dist/static/s3sync | grep NEEDED >&2; exit 1
    fi
    log "dist/static/s3sync: $(stat -c %s dist/static/s3sync) bytes, fully static"
}

# The scratch image's root filesystem, laid out by the same script the Dockerfile runs.
rootfs() {
    publish_static
    sh scripts/rootfs.sh dist/static/s3sync /etc/ssl/certs/ca-certificates.crt dist/rootfs
    log "dist/rootfs: $(cd dist/rootfs && find . -mindepth 1 | sort | tr '\n' ' ')"
}

SERVER_DIR=""
start_server() {
    SERVER_DIR=$(mktemp -d /tmp/s3sync-server.XXXXXX)
    trap stop_server EXIT
    log "starting the local S3 server (Ceph RGW)"
    bash scripts/s3server.sh start "$SERVER_DIR" >/dev/null
    set -a; . "$SERVER_DIR/env"; set +a
    log "S3 server at $S3SYNC_TEST_ENDPOINT"
}

stop_server() {
    [[ -n $SERVER_DIR ]] || return 0
    bash scripts/s3server.sh stop "$SERVER_DIR" --clean >/dev/null 2>&1 || true
    SERVER_DIR=""
}

# Creates a bucket on the local server with a signed request (curl's SigV4).
make_bucket() {
    # Ceph wants the payload hash header that curl's SigV4 does not add by itself (here: the empty body's).
    curl -fsS -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" --user "$S3SYNC_TEST_ACCESS_KEY:$S3SYNC_TEST_SECRET_KEY" --aws-sigv4 "aws:amz:us-east-1:s3" \
        "$S3SYNC_TEST_ENDPOINT/$1" >/dev/null
}

demo() {
    publish
    start_server
    make_bucket demo
    local config="$SERVER_DIR/demo.yml"
    # It holds the server's keys: readable by its owner only (s3sync warns otherwise).
    install -m 600 /dev/null "$config"
    cat >"$config" <<YAML
endpoint: $S3SYNC_TEST_ENDPOINT
access_key: $S3SYNC_TEST_ACCESS_KEY
secret_access_key: $S3SYNC_TEST_SECRET_KEY
sites:
- name: demo
  local_path: $ROOT/examples/demo
  bucket: demo
  bucket_path: site
  storage_class: STANDARD_IA
  retire_deleted: true
  exclusions:
    - '\.DS_Store$'
YAML
    echo "== s3sync sync (cold)"
    dist/s3sync sync -c "$config"
    echo "== s3sync sync (again: nothing to do)"
    dist/s3sync sync -c "$config"
    echo "== s3sync verify"
    dist/s3sync verify -c "$config"
}

run_tests() {
    publish
    rootfs
    start_server
    export S3SYNC_BINARY=$ROOT/dist/s3sync S3SYNC_ROOTFS=$ROOT/dist/rootfs
    rm -rf TestResults
    local rc=0
    dotnet test s3sync.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory TestResults "$@" || rc=$?
    stop_server
    local trx passed=0 failed=0
    for trx in TestResults/*.trx; do
        [[ -f $trx ]] || continue
        counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
        p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
        passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    done
    if ((passed == 0 && failed == 0)); then rc=1; fi
    echo "$passed passed, $failed failed"
    return $rc
}

case "${1:-demo}" in
    demo) demo ;;
    test) shift; run_tests "$@" ;;
    publish) publish ;;
    static) publish_static ;;
    rootfs) rootfs ;;
    docs) dotnet run --project tools/S3Sync.DocGen -c Release -- docs ;;
    *) echo "usage: ./build.sh [demo|test|publish|static|rootfs|docs]" >&2; exit 2 ;;
esac
