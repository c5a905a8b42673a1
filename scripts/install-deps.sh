#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test tsctr (as root).
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
command -v ctr >/dev/null || need+=(containerd)          # ctr: a real client peer for tests; containerd: the bench anchor
command -v docker-registry >/dev/null || need+=(docker-registry)
[ -x /bin/busybox ] || need+=(busybox-static)             # test images are built from it
command -v zstd >/dev/null || need+=(zstd)
command -v tmux >/dev/null || need+=(tmux)                 # tests drive `run -t` through a real terminal
command -v docker >/dev/null || need+=(docker.io)         # the docker CLI: a real client peer of tsctr-dockerd (and the bench anchor)
command -v curl >/dev/null || need+=(curl)
command -v iptables-restore >/dev/null || need+=(iptables)   # Docker networking: NAT, port publishing, isolation
command -v docker-compose >/dev/null || need+=(docker-compose) # compose 1.29: a real client peer in the tests
python3 -c 'import docker' 2>/dev/null || need+=(python3-docker)   # docker-py: a client peer of tsctr-dockerd in the tests
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)   # CNI plugins for CRI pod sandboxes (bridge, host-local, portmap, loopback)
command -v gcc >/dev/null && [ -f "/usr/lib/$(uname -m)-linux-gnu/libc.a" ] || need+=(gcc libc6-dev)   # the static security probe run in test containers
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "tsctr needs Node.js 20 or newer on PATH" >&2
  exit 1
fi
