#!/usr/bin/env bash
# Installs what the integration tests use from Debian's packages, when it is
# missing: busybox-static for the test rootfs, iproute2 and iputils-ping for the
# network tests, tmux for the terminal tests, runc for side-by-side checks,
# strace to see how exec clones its process.
set -eu
need=()
command -v busybox >/dev/null 2>&1 && file -L "$(command -v busybox)" | grep -q static || need+=(busybox-static)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v file >/dev/null 2>&1 || need+=(file)
command -v strace >/dev/null 2>&1 || need+=(strace)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test/prepare.sh: missing ${need[*]}; install them (Debian: apt-get install ${need[*]}) and run as root" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
