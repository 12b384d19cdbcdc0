#!/usr/bin/env bash
# Installs the system packages (Debian) that some test suites and native circuits need: bubblewrap (native
# circuit sandbox), chromium (browser tests), gcc + libc6-dev (native test fixtures), tmux (terminal test of
# `prove`), strace (SQLite durability tests). Installs only what is missing; uses sudo when not root.
set -euo pipefail

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v chromium >/dev/null || need+=(chromium)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v tmux >/dev/null || need+=(tmux)
command -v strace >/dev/null || need+=(strace)
command -v prlimit >/dev/null || need+=(util-linux)
if [ ${#need[@]} -eq 0 ]; then
  echo "setup-system: everything is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-system: no apt-get here; install these packages (Debian names) yourself: ${need[*]}" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "setup-system: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
