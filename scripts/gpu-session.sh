#!/usr/bin/env bash
# Everything a lent GPU machine should run, in one call: the GPU tests, the kernel and training-step
# benchmarks against cuBLAS and PyTorch, `cudabert train` on SNIPS on the GPU, and the kernel course's
# benchmark (every progression of Kernels/course beside the backend's kernel). The GPU machine has
# the NVIDIA driver, CUDA, PyTorch and transformers but no .NET and no network.
#
# Here (needs .NET; the repository root and the imported MiniLM present):
#   scripts/gpu-session.sh --pack
#     publishes the test runner, cudabert and cudabert-course self-contained for linux-x64 into ONE
#     folder (they share the .NET runtime, so the package is a third of the size of three), adds SNIPS
#     and MiniLM's config and vocabulary (not its 91 MB of weights: the GPU run trains a randomly
#     initialised MiniLM, which has the same speed), and packs publish/gpu-session.tar.xz (about 30 MB;
#     the device tool carries 64 MiB).
# There (the repository root; results also go to $OUT when it is set):
#   scripts/gpu-session.sh [publish/gpu-session.tar.xz] [--quick]
# --quick: only the tests, `bench train` (TF32, then bf16) and `bench kernels` (about a minute: for checking a
# kernel change when little device time is left). Prints a summary table last. Each step has its own time limit so one hang cannot eat the lease.
set -uo pipefail
cd "$(dirname "$0")/.."
PACKAGE=publish/gpu-session.tar.xz

if [ "${1:-}" = "--pack" ]; then
  set -e
  STAGE=publish/gpu-session
  MINILM="${CUDABERT_CACHE:-$HOME/.cache/cudabert}/all-MiniLM-L6-v2-24.9.52193"
  [ -f "$MINILM/config.json" ] || dotnet run -c Release --project Cli -- import minilm
  rm -rf "$STAGE"
  dotnet publish Tests/CudaBert.Tests -c Release -r linux-x64 --self-contained -o "$STAGE/bin"
  dotnet publish Cli -c Release -r linux-x64 --self-contained -o "$STAGE/bin"
  dotnet publish Course -c Release -r linux-x64 --self-contained -o "$STAGE/bin"
  rm -rf "$STAGE/bin/minilm" "$STAGE"/bin/*.pdb
  mkdir -p "$STAGE/minilm" "$STAGE/data"
  cp "$MINILM/config.json" "$MINILM/vocab.txt" "$MINILM/tokenizer.json" "$STAGE/minilm/"
  cp -r data/snips "$STAGE/data/"
  tar -cJf "$PACKAGE" -C publish gpu-session
  echo "gpu-session: packed $PACKAGE ($(du -h "$PACKAGE" | cut -f1))"
  exit 0
fi

QUICK=0
for argument in "$@"; do
  case "$argument" in
    --quick) QUICK=1 ;;
    *) PACKAGE="$argument" ;;
  esac
done
[ -f "$PACKAGE" ] || { echo "gpu-session: $PACKAGE not found: run 'scripts/gpu-session.sh --pack' on a machine with .NET" >&2; exit 2; }
OUT="${OUT:-$(mktemp -d)}"
WORK="$(mktemp -d)"
tar -xJf "$PACKAGE" -C "$WORK" 2>/dev/null \
  || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACKAGE" "$WORK" || exit 2
BIN="$WORK/gpu-session/bin"
SUMMARY="$OUT/summary.txt"
LOGS="$WORK/logs"   # one log per step; packed into $OUT/logs.tar.gz at the end (the device tool returns at most 8 files)
mkdir -p "$LOGS"
: > "$SUMMARY"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# cuBLAS (the kernel benchmark's baseline) ships with CUDA and with PyTorch's wheels.
CUBLAS_LIB=$(ls /usr/local/cuda/lib64/libcublas.so.* 2>/dev/null | head -1)
CUBLAS_DIR=${CUBLAS_LIB:+$(dirname "$CUBLAS_LIB")}
[ -n "$CUBLAS_DIR" ] || CUBLAS_DIR=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(nvidia.cublas.__path__[0], "lib"))' 2>/dev/null)
# NCCL (data parallel on GPUs; one rank on one GPU in the tests) ships with PyTorch's wheels too.
NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(nvidia.nccl.__path__[0], "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH="${CUBLAS_DIR:-}:${NCCL_DIR:-}:${LD_LIBRARY_PATH:-}"

note() { echo "$*" | tee -a "$SUMMARY"; }
# step NAME SECONDS COMMAND...: runs with a time limit, output to $LOGS/NAME.log and the console.
step() {
  local name="$1" limit="$2"; shift 2
  echo "== $name ($(date -u +%H:%M:%S))"
  local start=$SECONDS
  timeout -k 5 "$limit" "$@" 2>&1 | tee "$LOGS/$name.log"
  local rc=${PIPESTATUS[0]}
  note "step $name: exit $rc, $((SECONDS - start)) s"
  return $rc
}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee -a "$SUMMARY"
note "dotnet on PATH: $(which dotnet || echo none); cuBLAS from: ${CUBLAS_DIR:-not found}; NCCL from: ${NCCL_DIR:-not found}; cores: $(nproc)"

# 1. Every test of the suite, the CUDA backend's on the real GPU (CUDABERT_TEST_CUDA_DEVICE) and every
#    kernel test on both the real and the software GPU. DataReaderTests read data/snips of the repository
#    the runner was built in; the published runner sits outside any repository.
CUDABERT_TEST_CUDA_DEVICE=driver step tests 180 "$BIN/CudaBert.Tests" -class- CudaBert.Tests.Data.DataReaderTests \
  -noColor -parallel collections -xml "$OUT/tests.xml"
grep -E 'Total: [0-9]+' "$LOGS/tests.log" | tail -1 | tee -a "$SUMMARY"
grep -o '<test [^>]*result="Fail"[^>]*>' "$OUT/tests.xml" 2>/dev/null | sed -E 's/.* name="([^"]*)".*/FAIL \1/' \
  | sed 's/&quot;/"/g' | head -40 | tee -a "$SUMMARY"
for result in Pass Fail Skip; do
  count=$(grep -o "<test [^>]*result=\"$result\"[^>]*>" "$OUT/tests.xml" 2>/dev/null | grep -c 'device: \\&quot;driver' || true)
  note "kernel test cases on the real GPU (device: \"driver\"), $result: $count"
done

# 2. The BERT-base multi-task training step: ours (TF32 tensor cores, then fp32 SIMT) against PyTorch.
step bench-train-tf32 60 "$BIN/cudabert" bench train
# On an H100/H200: the same step with the linear layers on the wgmma kernel (opt-in until checked here).
CUDABERT_HOPPER_GEMM=1 step bench-train-tf32-wgmma 60 "$BIN/cudabert" bench train
grep -h '^RESULT' "$LOGS/bench-train-tf32-wgmma.log" | sed 's/^RESULT/RESULT wgmma/' >> "$SUMMARY" 2>/dev/null
[ $QUICK = 1 ] || step torch-sdpa 90 python3 tools/torch-bench/bert_multitask_step.py --attention sdpa
ours=$(grep -o 'step_ms=[0-9.]*' "$LOGS/bench-train-tf32.log" | cut -d= -f2)
theirs=$(grep -o 'step_ms=[0-9.]*' "$LOGS/torch-sdpa.log" 2>/dev/null | cut -d= -f2)
grep -h '^RESULT' "$LOGS/bench-train-tf32.log" "$LOGS/torch-sdpa.log" >> "$SUMMARY" 2>/dev/null
grep -h '^memory in use' "$LOGS/bench-train-tf32.log" >> "$SUMMARY"
grep -h '^GPU busy' "$LOGS/bench-train-tf32.log" >> "$SUMMARY"
[ -n "$ours" ] && [ -n "$theirs" ] && awk -v t="$theirs" -v o="$ours" \
  'BEGIN { printf "ratio: PyTorch (sdpa) %.1f ms / cudabert (tf32) %.1f ms = %.2fx\n", t, o, t / o }' | tee -a "$SUMMARY"
# The same step in mixed precision (bf16 Linear GEMMs, fp32 accumulation and master weights).
step bench-train-bf16 60 "$BIN/cudabert" bench train --precision bf16
[ $QUICK = 1 ] || step torch-sdpa-amp 90 python3 tools/torch-bench/bert_multitask_step.py --attention sdpa --amp bf16
grep -h '^RESULT' "$LOGS/bench-train-bf16.log" "$LOGS/torch-sdpa-amp.log" >> "$SUMMARY" 2>/dev/null
# On an H100/H200: the bf16 step with every bf16 GEMM on the wgmma kernel (opt-in until checked here).
CUDABERT_HOPPER_GEMM=1 step bench-train-bf16-wgmma 60 "$BIN/cudabert" bench train --precision bf16
grep -h '^RESULT' "$LOGS/bench-train-bf16-wgmma.log" | sed 's/^RESULT/RESULT wgmma/' >> "$SUMMARY" 2>/dev/null

if [ $QUICK = 0 ]; then
# 3. `cudabert train` on SNIPS on the GPU: one epoch of a randomly initialised MiniLM (weights do not
#    change the speed), examples/s from the trainer's own log.
python3 - "$WORK/gpu-session/minilm" "$WORK/random-minilm" <<'EOF' 2>&1 | tail -2
import sys
from transformers import BertConfig, BertModel
BertModel(BertConfig.from_pretrained(sys.argv[1]), add_pooling_layer=False).save_pretrained(sys.argv[2])
EOF
cp "$WORK/random-minilm/model.safetensors" "$WORK/gpu-session/minilm/"
step train-snips 120 "$BIN/cudabert" train --data "$WORK/gpu-session/data/snips" --model "$WORK/gpu-session/minilm" \
  --out "$WORK/snips-run" --epochs 1 --max-length 50 --length-bucketing true --device cuda --log-every 50
grep -E '^(device|done):' "$LOGS/train-snips.log" >> "$SUMMARY"
step train-snips-tf32 120 "$BIN/cudabert" train --data "$WORK/gpu-session/data/snips" --model "$WORK/gpu-session/minilm" \
  --out "$WORK/snips-run-tf32" --epochs 1 --max-length 50 --length-bucketing true --device cuda --log-every 50 --tf32 true
grep -E '^(device|done):' "$LOGS/train-snips-tf32.log" >> "$SUMMARY"
# The same window as the PyTorch script below: from the end of the first step to the end of the last
# (metrics.jsonl's elapsed_seconds; the dev evaluation and checkpoint after the last step are not in it).
for run in snips-run snips-run-tf32; do
  python3 - "$WORK/$run/metrics.jsonl" "$(wc -l < "$WORK/gpu-session/data/snips/train/seq.in")" "$run" <<'EOF' | tee -a "$SUMMARY"
import json, sys
steps = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "step"]
seconds = steps[-1]["elapsed_seconds"] - steps[0]["elapsed_seconds"]
examples = int(sys.argv[2]) - 32  # every example but the first batch's
impl = "cudabert-tf32" if sys.argv[3].endswith("tf32") else "cudabert-fp32"
print(f"RESULT impl={impl} steps={len(steps) - 1} seconds={seconds:.3f} examples_per_s={examples / seconds:.2f}")
EOF
done
for variant in "--attention sdpa" "--attention sdpa --tf32" "--attention eager" "--attention sdpa --tf32 --compile"; do
  name="torch-snips-$(echo "$variant" | tr -d ' -' | sed 's/attention//')"
  step "$name" 90 python3 tools/torch-bench/snips_epoch.py --data "$WORK/gpu-session/data/snips" --model "$WORK/gpu-session/minilm" $variant
  grep -h '^RESULT' "$LOGS/$name.log" >> "$SUMMARY"
done

fi

# 4. Every kernel at BERT-base shapes against a device copy and cuBLAS.
step bench-kernels 90 "$BIN/cudabert" bench kernels
grep -E '^\|' "$LOGS/bench-kernels.log" >> "$SUMMARY"
# PyTorch's side of the S = 512 fused attention rows (its flash kernel in bf16, its fp32 kernel).
[ $QUICK = 1 ] || step torch-attention 60 python3 tools/torch-bench/attention_sdpa.py
grep -h '^RESULT' "$LOGS/torch-attention.log" >> "$SUMMARY" 2>/dev/null

# 5. The kernel course: each progression (naive → ... → the backend's kernel) at BERT-base shapes.
[ $QUICK = 1 ] || step bench-course 120 "$BIN/cudabert-course" --device driver
grep -E '^\|' "$LOGS/bench-course.log" >> "$SUMMARY" 2>/dev/null

# 6. The other two columns of the training-step comparison.
[ $QUICK = 1 ] || step bench-train-fp32 60 "$BIN/cudabert" bench train --tf32 false
[ $QUICK = 1 ] || step torch-eager 90 python3 tools/torch-bench/bert_multitask_step.py --attention eager
grep -h '^RESULT' "$LOGS/bench-train-fp32.log" "$LOGS/torch-eager.log" >> "$SUMMARY" 2>/dev/null

# 7. The TF32 step without CUDA graphs (steps 2 and 6 replay graphs): what the graphs save.
[ $QUICK = 1 ] || step bench-train-eager 60 "$BIN/cudabert" bench train --cuda-graphs off
grep -h '^RESULT' "$LOGS/bench-train-eager.log" >> "$SUMMARY" 2>/dev/null

# 8. The TF32 step with gradient checkpointing: the peak memory it saves and the time it costs.
[ $QUICK = 1 ] || step bench-train-checkpointing 60 "$BIN/cudabert" bench train --gradient-checkpointing
grep -h '^RESULT\|^memory in use' "$LOGS/bench-train-checkpointing.log" >> "$SUMMARY" 2>/dev/null

for run in "$WORK"/snips-run*; do cp "$run/metrics.jsonl" "$LOGS/$(basename "$run")-metrics.jsonl" 2>/dev/null; done
tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs
echo
echo "==================== summary ($(date -u '+%Y-%m-%d %H:%M UTC'))"
cat "$SUMMARY"
