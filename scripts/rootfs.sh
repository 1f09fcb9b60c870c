#!/bin/sh
# Lays out the root filesystem of the scratch container image: the same script runs in Dockerfile.alpine's build
# stage and in `./build.sh rootfs`, so the folder the chroot test uses holds exactly what the image holds.
#   scripts/rootfs.sh BINARY CA_BUNDLE OUTDIR
# OUTDIR gets:
#   /s3sync                              the fully static binary (the entrypoint)
#   /etc/ssl/certs/ca-certificates.crt   the CA bundle (SSL_CERT_FILE points here)
#   /etc/passwd, /etc/group              the non-root user and group s3sync, 65532:65532
#   /tmp                                 mode 1777
#   /var/lib/s3sync                      empty, owned by 65532:65532 (state_dir; a volume in the image)
#   /opt/s3sync                          empty (the configuration is mounted here)
#   /dev, /proc                          empty mount points: the container runtime mounts them (OpenSSL needs
#                                        /dev/urandom); the chroot test mounts them the same way
# POSIX sh on purpose: the Alpine SDK image has no bash.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BINARY CA_BUNDLE OUTDIR" >&2; exit 2; }
binary=$1 ca=$2 out=$3
[ -f "$binary" ] || { echo "rootfs: no binary at $binary" >&2; exit 1; }
[ -f "$ca" ] || { echo "rootfs: no CA bundle at $ca" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/etc/ssl/certs" "$out/tmp" "$out/var/lib/s3sync" "$out/opt/s3sync" "$out/dev" "$out/proc"
cp "$binary" "$out/s3sync"
chmod 0755 "$out/s3sync"
cp "$ca" "$out/etc/ssl/certs/ca-certificates.crt"
chmod 0644 "$out/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/:/sbin/nologin\ns3sync:x:65532:65532:s3sync:/var/lib/s3sync:/sbin/nologin\n' >"$out/etc/passwd"
printf 'root:x:0:\ns3sync:x:65532:\n' >"$out/etc/group"
chmod 0644 "$out/etc/passwd" "$out/etc/group"
chmod 1777 "$out/tmp"
if [ "$(id -u)" -eq 0 ]; then
    chown 65532:65532 "$out/var/lib/s3sync"
else
    chmod 0777 "$out/var/lib/s3sync"   # not root: cannot chown; let the non-root user write anyway
fi
