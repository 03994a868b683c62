#!/usr/bin/env bash
# Runs cudabert's GPU benchmarks and PyTorch's training step back to back on a GPU machine (which has
# the NVIDIA driver, PyTorch and transformers, but no .NET), and prints the ratios.
#
# On a machine with the .NET SDK (the repository root), pack cudabert, self-contained for linux-x64:
#   scripts/bench-gpu.sh --pack
#     = dotnet publish Cli -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true -o publish/cudabert
#       (minus the 91 MB MiniLM data file the benchmarks do not need), tar -czf publish/cudabert-linux-x64.tar.gz
# Then on the GPU machine, from the repository root:
#   scripts/bench-gpu.sh [publish/cudabert-linux-x64.tar.gz] [--kernels-only | --train-only]
# It prints: the machine, `cudabert bench kernels` (the kernel table), `cudabert bench train`, PyTorch's
# tools/torch-bench/bert_multitask_step.py with transformers' sdpa and eager attention, and
# PyTorch step time / cudabert step time for each (above 1.0: cudabert is faster). Exit code: 0 when
# every run succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE=publish/cudabert-linux-x64.tar.gz

if [ "${1:-}" = "--pack" ]; then
  rm -rf publish/cudabert
  dotnet publish Cli -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true -o publish/cudabert
  rm -rf publish/cudabert/minilm
  tar -czf "$PACKAGE" -C publish cudabert
  echo "bench-gpu: packed $PACKAGE ($(du -h "$PACKAGE" | cut -f1))"
  exit 0
fi

if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then PACKAGE="$1"; shift; fi
MODE="${1:-all}"
[ -f "$PACKAGE" ] || { echo "bench-gpu: $PACKAGE not found: run 'scripts/bench-gpu.sh --pack' on a machine with .NET" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$PACKAGE" -C "$WORK"
CUDABERT="$WORK/cudabert/cudabert"

echo "== machine ($(date -u '+%Y-%m-%d %H:%M UTC'))"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"

status=0
if [ "$MODE" != "--train-only" ]; then
  echo "== cudabert bench kernels"
  "$CUDABERT" bench kernels || status=$?
fi
[ "$MODE" = "--kernels-only" ] && exit $status

echo "== cudabert bench train"
"$CUDABERT" bench train | tee "$WORK/ours.log" || status=$?
ours=$(grep -o 'step_ms=[0-9.]*' "$WORK/ours.log" | cut -d= -f2 || true)

for attention in sdpa eager; do
  echo "== PyTorch, $attention attention"
  python3 tools/torch-bench/bert_multitask_step.py --attention "$attention" | tee "$WORK/torch-$attention.log" || status=$?
  theirs=$(grep -o 'step_ms=[0-9.]*' "$WORK/torch-$attention.log" | cut -d= -f2 || true)
  if [ -n "$ours" ] && [ -n "$theirs" ]; then
    awk -v t="$theirs" -v o="$ours" -v a="$attention" \
      'BEGIN { printf "ratio: PyTorch (%s) %.1f ms / cudabert %.1f ms = %.2fx\n", a, t, o, t / o }'
  fi
done
exit $status
