#!/usr/bin/env bash
# Everything a fresh machine needs, from the repo's own files: Debian packages (Chromium for the
# report's browser test, PyTorch + OpenBLAS for the benchmark anchors), then `npm ci`.
# Safe to run again; skips what is already there. Set GRPO_LAB_SKIP_APT=1 to skip apt.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch libopenblas0-pthread)
# Software Vulkan (lavapipe) for the WebGPU backend test: Dawn rejects stock bookworm Mesa 22.3,
# so it comes from bookworm-backports.
lavapipe=0
[ -f /usr/share/vulkan/icd.d/lvp_icd.json ] || lavapipe=1
if { [ "${#need[@]}" -gt 0 ] || [ "$lavapipe" = 1 ]; } && [ -z "${GRPO_LAB_SKIP_APT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if [ "$lavapipe" = 1 ] && grep -qs bookworm /etc/os-release; then
      cat > /etc/apt/sources.list.d/grpo-lab-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq
    if [ "${#need[@]}" -gt 0 ]; then
      echo "setup: apt-get install ${need[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    if [ "$lavapipe" = 1 ]; then
      echo "setup: apt-get install -t bookworm-backports mesa-vulkan-drivers"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null ||
        echo "setup: mesa-vulkan-drivers (backports) could not be installed; the WebGPU test will be skipped" >&2
    fi
  else
    echo "setup: optional system packages missing (${need[*]} lavapipe=$lavapipe); the browser, WebGPU and PyTorch-anchor checks will be skipped" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
