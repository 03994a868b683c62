#!/usr/bin/env bash
# Runs the kernel tests on a GPU machine that has the NVIDIA driver but no .NET, and prints a table.
#
# On a machine with the .NET SDK (the repository root), pack the tests, self-contained for linux-x64:
#   scripts/gpu-check.sh --pack
#     = dotnet publish Tests/CudaBert.Tests -c Release -r linux-x64 --self-contained -o publish/CudaBert.Tests
#       tar -czf publish/cudabert-tests-linux-x64.tar.gz -C publish CudaBert.Tests
# Copy the repository (or just scripts/ and the .tar.gz) to the GPU machine, then there:
#   scripts/gpu-check.sh [publish/cudabert-tests-linux-x64.tar.gz] [-- xunit runner options]
# Default runner options: -namespace CudaBert.Tests.CudaDevice (every test kernel on every device, the
# PTX load of every embedded module through the driver's JIT, cuBLAS). Exit code: 0 when nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE=publish/cudabert-tests-linux-x64.tar.gz

if [ "${1:-}" = "--pack" ]; then
  rm -rf publish/CudaBert.Tests
  dotnet publish Tests/CudaBert.Tests -c Release -r linux-x64 --self-contained -o publish/CudaBert.Tests
  tar -czf "$PACKAGE" -C publish CudaBert.Tests
  echo "gpu-check: packed $PACKAGE ($(du -h "$PACKAGE" | cut -f1))"
  exit 0
fi

if [ $# -gt 0 ] && [ "$1" != "--" ]; then PACKAGE="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
RUNNER_OPTIONS=("$@")
[ ${#RUNNER_OPTIONS[@]} -gt 0 ] || RUNNER_OPTIONS=(-namespace CudaBert.Tests.CudaDevice)
[ -f "$PACKAGE" ] || { echo "gpu-check: $PACKAGE not found: run 'scripts/gpu-check.sh --pack' on a machine with .NET" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$PACKAGE" -C "$WORK"

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"

echo "== tests (${RUNNER_OPTIONS[*]})"
status=0
"$WORK/CudaBert.Tests/CudaBert.Tests" "${RUNNER_OPTIONS[@]}" -noColor -xml "$WORK/results.xml" > "$WORK/run.log" 2>&1 || status=$?

# One row per test method, one column per device (theory parameter "device"); tests without a
# device parameter go to the last column (".": no such case).
grep -o '<test [^>]*>' "$WORK/results.xml" | sed -E \
  -e 's/.* name="([^"(]*)[^"]*".*result="([A-Za-z]+)".*/\1 \2 &/' \
  -e 's/^([^ ]+) ([A-Za-z]+) .*device: \\&quot;([a-z]+)\\&quot;.*/\1 \2 \3/' \
  -e 's/^([^ ]+) ([A-Za-z]+) <test .*/\1 \2 -/' \
| LC_ALL=C sort -s -k1,1 | awk '
  { test = $1; sub(/^CudaBert\.Tests\.Kernels\./, "", test); key = test SUBSEP $3
    # a test method with several inline cases keeps its worst result: Fail > Pass > Skip
    if (!(key in result) || $2 == "Fail" || (result[key] == "Skip" && $2 == "Pass")) result[key] = $2
    if (!(test in seen)) { seen[test] = 1; order[++n] = test } }
  END {
    printf "%-72s %-8s %-8s %-8s\n", "test", "driver", "software", "no device"
    for (i = 1; i <= n; i++) {
      t = order[i]
      printf "%-72s %-8s %-8s %-8s\n", t, cell(t, "driver"), cell(t, "software"), cell(t, "-")
    }
  }
  function cell(t, d) { return ((t SUBSEP d) in result) ? result[t SUBSEP d] : "." }'

echo "== summary"
grep -E 'Total: [0-9]+' "$WORK/run.log" || true
if grep -q '\[FAIL\]' "$WORK/run.log"; then
  echo "== failures"
  grep -A 12 '\[FAIL\]' "$WORK/run.log"
fi
skip_reasons=$(grep -A 1 '\[SKIP\]' "$WORK/run.log" | grep -v '\[SKIP\]\|^--' | sort | uniq -c || true)
[ -z "$skip_reasons" ] || { echo "== skip reasons"; echo "$skip_reasons"; }
exit $status
