#!/usr/bin/env bash
# Runs fer-gpu's whole bench suite (with peers) on a Linux machine with an NVIDIA GPU and saves
# bench/results/<adapter>-<date>.json. The NVIDIA driver must be installed; the Vulkan loader
# (libvulkan1) and the NVIDIA ICD json are added when missing. Needs Node >= 20 and the repo's
# node_modules (npm ci, done here when missing and the registry can be reached).
#
#   bash bench/device.sh [extra bench options, e.g. --quick or --suite kernels]
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "device.sh: $*" >&2; }

# 1. the Vulkan loader
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  say "no libvulkan.so.1: installing libvulkan1"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq libvulkan1 || {
      say "apt-get could not install libvulkan1 (offline?). Bring the .deb and run: dpkg -x libvulkan1_*.deb / && ldconfig"; exit 1; }
  else
    say "install libvulkan1 (Debian/Ubuntu) or vulkan-loader (Fedora) as root, then rerun"; exit 1
  fi
fi

# 2. the NVIDIA ICD: a json telling the loader where the driver's Vulkan library is
icd=""
for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
         /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
  if [ -f "$f" ]; then icd=$f; break; fi
done
if [ -z "$icd" ]; then
  # the NVIDIA driver's Vulkan entry points live in libGLX_nvidia.so.0
  lib=$(ldconfig -p | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}')
  [ -z "$lib" ] && lib=$(ls /usr/local/nvidia/lib64/libGLX_nvidia.so.0 /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 2>/dev/null | head -1 || true)
  if [ -z "$lib" ]; then say "no NVIDIA ICD json and no libGLX_nvidia.so.0: is the NVIDIA driver installed?"; exit 1; fi
  icd=$(mktemp -d)/nvidia_icd.json
  printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" > "$icd"
  say "wrote $icd for $lib"
fi
export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"   # new and old loaders
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true

# 3. Node and the repo's packages
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  say "Node >= 20 is needed (found: $(node --version 2>/dev/null || echo none))"; exit 1
fi
[ -d node_modules/webgpu ] || npm ci

# 4. the suite, peers included (a peer that cannot run is reported as skipped)
mkdir -p bench/results
node --import tsx bench/run.ts --peers --results bench/results "$@"
