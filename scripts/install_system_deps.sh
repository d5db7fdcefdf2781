#!/usr/bin/env bash
# Headless rendering needs Mesa's EGL (or OSMesa). Install what is missing when root; otherwise
# say exactly what to install and stop.
set -euo pipefail
packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6)
command -v dpkg >/dev/null 2>&1 || { echo "no dpkg: install EGL/OSMesa (Mesa) with your package manager"; exit 0; }
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing GL libraries for headless rendering: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "facetwin needs these Debian packages for headless rendering: ${missing[*]}"
    echo "install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
fi
