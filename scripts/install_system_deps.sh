#!/usr/bin/env bash
# Headless rendering needs Mesa's EGL (or OSMesa); the viewer's browser test needs Debian's
# chromium and chromium-driver (no browser is ever downloaded). Install what is missing when root;
# otherwise say exactly what to install and stop.
set -euo pipefail
packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 chromium chromium-driver)
command -v dpkg >/dev/null 2>&1 || { echo "no dpkg: install EGL/OSMesa (Mesa) with your package manager"; exit 0; }
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing system packages for headless rendering and the browser test: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "facetwin needs these Debian packages (headless rendering, the browser test): ${missing[*]}"
    echo "install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
fi
