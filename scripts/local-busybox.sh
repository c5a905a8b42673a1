#!/usr/bin/env bash
# Imports a small busybox image, built from Debian's busybox-static (/bin/busybox), into a running
# tsctr-dockerd as tsctr.local/busybox:latest, so the first `docker run` works with no registry.
# The name's registry part `tsctr.local` is a local-only name: nothing is ever pulled from it.
#   usage: scripts/local-busybox.sh [DOCKER_SOCKET]   (default /run/tsctr/docker.sock)
# Idempotent: an image already under that name is left as it is (set TSCTR_REIMPORT=1 to redo it).
set -euo pipefail
sock=${1:-/run/tsctr/docker.sock}
name=tsctr.local/busybox
tag=latest
api() { curl -sS --fail-with-body --unix-socket "$sock" "$@"; }

if [ "${TSCTR_REIMPORT:-}" != 1 ] && api -o /dev/null "http://d/images/$name:$tag/json" 2>/dev/null; then
  echo "$name:$tag is already there"
  exit 0
fi
[ -x /bin/busybox ] || { echo "/bin/busybox is missing: apt-get install busybox-static" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,etc,proc,sys,root,tmp}
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# POST /images/create?fromSrc=- is `docker import`: one layer from the tar, with a default command.
# (URL-encoded: CMD ["sh"] and ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin)
changes='CMD%20%5B%22sh%22%5D'
envc='ENV%20PATH%3D%2Fusr%2Fsbin%3A%2Fusr%2Fbin%3A%2Fsbin%3A%2Fbin'
out=$(tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
  api -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
    "http://d/images/create?fromSrc=-&repo=$name&tag=$tag&changes=$changes&changes=$envc")
if grep -q '"error' <<<"$out"; then
  echo "import failed: $out" >&2
  exit 1
fi
echo "imported $name:$tag ($(/bin/busybox | head -1 | cut -d' ' -f1-2))"
