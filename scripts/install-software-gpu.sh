#!/usr/bin/env bash
# Installs a software WebGPU driver on Debian/Ubuntu machines without a GPU:
#  - Vulkan: Mesa's lavapipe ("llvmpipe"); on Debian 12 (bookworm) from bookworm-backports (Mesa 25),
#    since Dawn refuses bookworm's Mesa 22;
#  - OpenGL ES / EGL: Mesa, used by Dawn's compatibility feature level as a fallback.
# Run as root (or it uses sudo). Safe to re-run. Ships in the fer-gpu package:
# `npx fer-gpu setup-software-gpu` runs it; in a checkout, `npm install` runs it as root when needed.
set -euo pipefail
if ! command -v apt-get >/dev/null; then
  echo "install-software-gpu.sh: needs apt-get (Debian/Ubuntu); elsewhere install Mesa >= 24 with its Vulkan software driver (lavapipe)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
codename=$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null || true)
target=()
if [ "$codename" = bookworm ]; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    src=/etc/apt/sources.list.d/debian.sources
    if [ -f "$src" ] && grep -q '^Suites:.*bookworm-updates' "$src"; then
      # deb822: append the backports suite to the main Suites: line (the one with bookworm-updates).
      $SUDO sed -i '/^Suites:.*bookworm-updates/ s/$/ bookworm-backports/' "$src"
    else
      # one-line format: the backports suite from the same mirror as bookworm's main line.
      mirror=$(grep -hs '^deb .* bookworm main' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -1 | awk '{print $2}')
      if [ -z "$mirror" ]; then
        echo "install-software-gpu.sh: add bookworm-backports to apt's sources, then re-run" >&2
        exit 1
      fi
      echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
  fi
  target=(-t bookworm-backports)
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null
$SUDO apt-get install -y -qq libegl1 libegl-mesa0 libgl1 >/dev/null
echo "software GPU installed: $(ls /usr/share/vulkan/icd.d/ 2>/dev/null | tr '\n' ' ')"
