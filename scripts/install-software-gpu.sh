#!/usr/bin/env bash
# Installs a software WebGPU driver on Debian 12 (bookworm) machines without a GPU:
#  - Vulkan: Mesa 25 lavapipe ("llvmpipe") from bookworm-backports (Dawn refuses Mesa 22's)
#  - OpenGL ES / EGL: stock Mesa, used by Dawn's compatibility feature level as a fallback.
# Run as root (or with sudo). Safe to re-run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && grep -q '^Suites:.*bookworm-updates' "$src" && ! grep -q 'bookworm-backports' "$src"; then
  # Append the backports suite to the main Suites: line (the one with bookworm-updates).
  $SUDO sed -i '/^Suites:.*bookworm-updates/ s/$/ bookworm-backports/' "$src"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
$SUDO apt-get install -y -qq libegl1 libegl-mesa0 libgl1 >/dev/null
echo "software GPU installed: $(ls /usr/share/vulkan/icd.d/ 2>/dev/null | tr '\n' ' ')"
