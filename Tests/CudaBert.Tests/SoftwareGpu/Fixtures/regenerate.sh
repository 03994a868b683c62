#!/usr/bin/env bash
# Recompiles libdevice_math.cu to libdevice_math.ptx with the same NVRTC 12.4 and options as
# Kernels/build-ptx.sh (whose tool cache it reuses: run Kernels/build-ptx.sh once first).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../../.." && pwd)"
CACHE="${CUDABERT_CUDA_TOOLS:-$REPO/.cache/cuda-tools}/cuda-12.4"
[ -x "$CACHE/bin/nvrtc-compile" ] || { echo "regenerate: no NVRTC in $CACHE: run Kernels/build-ptx.sh first" >&2; exit 1; }
LD_LIBRARY_PATH="$CACHE/root/usr/lib/x86_64-linux-gnu" "$CACHE/bin/nvrtc-compile" \
  "$HERE/libdevice_math.cu" "$HERE/libdevice_math.ptx" --gpu-architecture=compute_80 -default-device --std=c++17
echo "regenerate: wrote $HERE/libdevice_math.ptx"
