#!/usr/bin/env bash
# Installs the Debian 12 packages authlog-scan needs to build and test,
# only those missing. Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail

pkgs=(gcc meson ninja-build pkg-config python3 python3-botocore sqlite3
      libcurl4-openssl-dev libssl-dev libyajl-dev libpcre2-dev libsqlite3-dev libyaml-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
