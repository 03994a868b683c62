#!/usr/bin/env bash
# Builds (or checks) the PTX of every CUDA C++ source in Kernels/.
#
#   Kernels/build-ptx.sh           compile every Kernels/**/*.cu to Kernels/ptx/**/*.ptx, run ptxas on
#                                  it and rewrite Kernels/ptx/resource-report.txt
#   Kernels/build-ptx.sh --check   change nothing; fail when
#                                    (a) a committed .ptx differs from what its source compiles to
#                                        (or has no source, or a source has no committed .ptx),
#                                    (b) ptxas rejects a module for one of its architectures,
#                                    (c) a kernel spills registers or uses local memory and is not
#                                        in Kernels/ptxas-allowlist.txt,
#                                    (d) the committed resource report is not what ptxas reports.
#
# Source -> PTX path: Kernels/<dir>/<name>.cu -> Kernels/ptx/<dir>/<name>.ptx
# (e.g. Kernels/tests/vector_add.cu -> Kernels/ptx/tests/vector_add.ptx, embedded as resource
# "ptx/tests/vector_add.ptx", loaded by name "tests/vector_add" through PtxModules).
#
# Two targets:
#   Kernels/hopper/*.cu   compute_90a: Hopper-only instructions (wgmma, TMA, mbarrier transaction
#                         counts). The "a" target runs on sm_90 GPUs only, never on later families, so
#                         the loader uses these modules only on compute capability 9.x.
#   every other .cu       compute_80: runs on every GPU from Ampere on (the driver JIT-compiles it for
#                         sm_80, sm_86, sm_89, sm_90, ...).
#
# The tools: NVRTC 12.4 (compiles CUDA C++ to PTX ISA 8.4) and ptxas 12.4 (assembles PTX to SASS; we
# only use it as a checker and for its resource report). Both come from Debian trixie's non-free
# component. They are fetched into a cache folder WITHOUT changing the system's apt configuration:
# a private sources file, a private package-list folder, `apt-get download` and `dpkg -x`.
# The Debian mirror is the one this machine's own apt sources use (CUDABERT_DEBIAN_MIRROR overrides it).
# Cache folder: $CUDABERT_CUDA_TOOLS/cuda-12.4, default <repo>/.cache/cuda-tools/cuda-12.4 (git-ignored);
# each toolchain version has its own subfolder, so caches of other versions beside it stay usable.
# Once it is filled nothing is downloaded again, so a warm --check takes seconds.
set -euo pipefail

KERNELS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$KERNELS")"

# Pinned: a different NVRTC emits different PTX, so the versions are part of the build. When Debian
# replaces them, update the pins, rebuild (Kernels/build-ptx.sh) and commit the new PTX.
CUDA_RELEASE="12.4"
DEBIAN_SUITE="trixie"
PINNED_PACKAGES=(
  "libnvrtc12=12.4.127~12.4.1-2"              # libnvrtc.so.12
  "libnvrtc-builtins12.4=12.4.127~12.4.1-2"   # dlopened by libnvrtc
  "nvidia-cuda-toolkit=12.4.131~12.4.1-2"     # ptxas
)
NVRTC_LIBRARY="libnvrtc.so.12"
CACHE="${CUDABERT_CUDA_TOOLS:-$REPO/.cache/cuda-tools}/cuda-$CUDA_RELEASE"

# -default-device: functions without a qualifier are __device__.
NVRTC_COMMON_OPTIONS=(-default-device --std=c++17)
HOPPER_DIR="hopper"        # sources under Kernels/hopper/ are compiled for compute_90a

nvrtc_arch() {   # the virtual architecture a source is compiled for
  case "$1" in "$HOPPER_DIR"/*) echo compute_90a ;; *) echo compute_80 ;; esac
}
ptxas_archs() {  # the real architectures ptxas must accept a source's PTX for
  case "$1" in "$HOPPER_DIR"/*) echo sm_90a ;; *) echo sm_80 sm_90 sm_90a ;; esac
}

REPORT="$KERNELS/ptx/resource-report.txt"
ALLOWLIST="$KERNELS/ptxas-allowlist.txt"

check_mode=false
case "${1:-}" in
  --check) check_mode=true ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "build-ptx: $*" >&2; }
fail() { echo "build-ptx: FAILED: $*" >&2; exit 1; }

# --- 1. Tools -----------------------------------------------------------------------------------

# The Debian mirror of this machine's apt sources: the first URI of a deb822 .sources file, or of a
# one-line "deb URI SUITE ..." entry, that serves the main archive (not debian-security).
debian_mirror() {
  if [ -n "${CUDABERT_DEBIAN_MIRROR:-}" ]; then echo "$CUDABERT_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
           cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
             | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
         } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
  [ -n "$uri" ] || fail "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set CUDABERT_DEBIAN_MIRROR"
  echo "${uri%/}"
}

fetch_tools() {
  local stamp="$CACHE/root/.fetched"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PINNED_PACKAGES[*]}" ] && return
  command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "needs apt-get and dpkg (Debian)"
  local mirror
  mirror="$(debian_mirror)"
  log "fetching NVRTC and ptxas $CUDA_RELEASE from $mirror $DEBIAN_SUITE non-free into $CACHE"
  rm -rf "$CACHE"
  mkdir -p "$CACHE/apt/sources" "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/debs" "$CACHE/root"
  cat > "$CACHE/apt/sources/cuda-tools.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $DEBIAN_SUITE
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Every path apt would write to is redirected into the cache; /etc/apt and /var/lib/apt stay untouched.
  local apt=(apt-get -q -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$CACHE/apt/sources"
             -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache" -o APT::Sandbox::User=root)
  "${apt[@]}" update >&2 || fail "apt-get update of the private non-free source ($mirror $DEBIAN_SUITE)"
  (cd "$CACHE/debs" && "${apt[@]}" download "${PINNED_PACKAGES[@]}" >&2) \
    || fail "apt-get download ${PINNED_PACKAGES[*]} (if Debian moved on, update PINNED_PACKAGES in $0 and rebuild the PTX)"
  local deb
  for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$CACHE/root"; done
  # Keep only what we run: ptxas and the NVRTC libraries (the toolkit package unpacks to ~200 MB).
  find "$CACHE/root" \( -type f -o -type l \) ! -path '*/usr/bin/ptxas' ! -path '*/x86_64-linux-gnu/libnvrtc*' -delete
  find "$CACHE/root" -type d -empty -delete
  rm -rf "$CACHE/debs" "$CACHE/apt"
  echo "${PINNED_PACKAGES[*]}" > "$stamp"
}

fetch_tools
LIB="$CACHE/root/usr/lib/x86_64-linux-gnu"
PTXAS="$CACHE/root/usr/bin/ptxas"
[ -x "$PTXAS" ] && [ -e "$LIB/$NVRTC_LIBRARY" ] || fail "$CACHE lacks ptxas or $NVRTC_LIBRARY: delete it and run again"
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"   # libnvrtc dlopens libnvrtc-builtins

# The small C driver of NVRTC (Kernels/tools/nvrtc-compile.c), rebuilt when its source changes.
NVRTC_COMPILE="$CACHE/bin/nvrtc-compile"
if [ ! -x "$NVRTC_COMPILE" ] || [ "$KERNELS/tools/nvrtc-compile.c" -nt "$NVRTC_COMPILE" ]; then
  command -v gcc >/dev/null || fail "needs gcc to build Kernels/tools/nvrtc-compile.c"
  mkdir -p "$CACHE/bin"
  gcc -O2 -Wall -Werror -o "$NVRTC_COMPILE" "$KERNELS/tools/nvrtc-compile.c" "$LIB/$NVRTC_LIBRARY" "-Wl,-rpath,$LIB"
fi

# --- 2. CUDA C++ -> PTX ---------------------------------------------------------------------------

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/ptx"                      # fresh PTX goes here first, in both modes

mapfile -t SOURCES < <(cd "$KERNELS" && find . -name '*.cu' -not -path './ptx/*' -not -path './bin/*' \
                                            -not -path './obj/*' | sed 's|^\./||' | LC_ALL=C sort)
[ ${#SOURCES[@]} -gt 0 ] || fail "no .cu sources under $KERNELS"

# NVRTC is not quite deterministic: on the large unrolled kernels (gemm_tf32.cu) some compiles come
# out different — an equivalent program where a common-subexpression decision went the other way
# (e.g. one extra ld.shared instead of reusing a register; NVRTC 11.8: 3 of 30 compiles of the same
# source; NVRTC 12.4 does it too, on flash_attention.cu about one compile in two). So the committed PTX
# is the most frequent of COMPILES outputs, and the check accepts a source when any of up to
# CHECK_COMPILES compiles reproduces the committed file: with one chance in two per compile, sixteen
# leave a false failure at 2^-16 (five left it at 3 %).
COMPILES=5
CHECK_COMPILES=16
compile() {  # compile SOURCE OUTPUT: one NVRTC run, from the source's folder with a relative name
  (cd "$KERNELS/$(dirname "$1")" && "$NVRTC_COMPILE" "$(basename "$1")" "$2" \
     "--gpu-architecture=$(nvrtc_arch "$1")" "${NVRTC_COMMON_OPTIONS[@]}") \
    || fail "NVRTC could not compile Kernels/$1"
}

retried=()
for src in "${SOURCES[@]}"; do
  ptx="${src%.cu}.ptx"
  mkdir -p "$OUT/$(dirname "$ptx")"
  compile "$src" "$OUT/$ptx"
  if $check_mode; then
    committed="$KERNELS/ptx/$ptx"
    for ((try = 2; try <= CHECK_COMPILES; try++)); do
      [ -f "$committed" ] && ! cmp -s "$committed" "$OUT/$ptx" || break
      compile "$src" "$OUT/$ptx"
      retried+=("$src")
    done
  else
    # The most frequent output of COMPILES runs (ties: the earliest); sources that compile the same
    # twice in a row are taken at once.
    compile "$src" "$WORK/again.ptx"
    if ! cmp -s "$OUT/$ptx" "$WORK/again.ptx"; then
      variants=("$OUT/$ptx" "$WORK/again.ptx")
      for ((try = 3; try <= COMPILES; try++)); do
        compile "$src" "$WORK/try$try.ptx"
        variants+=("$WORK/try$try.ptx")
      done
      best=$(md5sum "${variants[@]}" | awk '{ count[$1]++; if (!($1 in first)) first[$1] = $2 }
        END { for (h in count) if (count[h] > n || (count[h] == n && first[h] < pick)) { n = count[h]; pick = first[h] } print pick }')
      [ "$best" = "$OUT/$ptx" ] || cp "$best" "$OUT/$ptx"
      retried+=("$src")
    fi
  fi
done
log "compiled ${#SOURCES[@]} sources with NVRTC $CUDA_RELEASE (compute_80; $HOPPER_DIR/: compute_90a; ${NVRTC_COMMON_OPTIONS[*]})"
if [ ${#retried[@]} -gt 0 ]; then
  log "compiled again (NVRTC is not deterministic): $(printf '%s\n' "${retried[@]}" | sort -u | tr '\n' ' ')"
fi

# --- 3. ptxas: accepted for every architecture, no spills, no local memory ------------------------

allowed() {  # is kernel $1 in the allow-list? (first word of each non-comment line)
  [ -f "$ALLOWLIST" ] && grep -v '^\s*#' "$ALLOWLIST" | awk '{print $1}' | grep -qx "$1"
}

{
  echo "# ptxas -v resource report for the committed PTX. Generated by Kernels/build-ptx.sh; do not edit."
  echo "# ptxas $("$PTXAS" --version | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/\1 \2/p')."
  echo "# regs = registers per thread; smem = static shared memory bytes per block (dynamic shared memory"
  echo "# is set at launch and not included); stack/spill = bytes of local memory (must be 0)."
  printf '%-40s %-22s %-6s %5s %6s %6s %6s %6s\n' "# module" kernel arch regs smem stack spillst spillld
} > "$WORK/report.txt"

problems=()
for src in "${SOURCES[@]}"; do
  ptx="${src%.cu}.ptx"
  for arch in $(ptxas_archs "$src"); do
    if ! "$PTXAS" -arch="$arch" -v -o "$WORK/module.cubin" "$OUT/$ptx" > "$WORK/ptxas.log" 2>&1; then
      cat "$WORK/ptxas.log" >&2
      fail "ptxas -arch=$arch rejected Kernels/ptx/$ptx"
    fi
    # ptxas -v prints, per kernel:
    #   ptxas info    : Compiling entry function 'NAME' for 'sm_80'
    #       N bytes stack frame, N bytes spill stores, N bytes spill loads
    #   ptxas info    : Used N registers, [N bytes lmem, ][N bytes smem, ]N bytes cmem[0]
    awk -v module="${ptx%.ptx}" -v arch="$arch" '
      /Compiling entry function/ { match($0, /\x27[^\x27]+\x27/); kernel = substr($0, RSTART + 1, RLENGTH - 2); smem = 0; lmem = 0 }
      /bytes stack frame/        { stack = $1; spill_st = $5; spill_ld = $9 }
      /Used [0-9]+ registers/    {
        regs = $0; sub(/.*Used /, "", regs); sub(/ registers.*/, "", regs)
        if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH) + 0
        if (match($0, /[0-9]+ bytes lmem/)) lmem = substr($0, RSTART, RLENGTH) + 0
        printf "%-40s %-22s %-6s %5d %6d %6d %6d %6d\n", module, kernel, arch, regs, smem, stack + lmem, spill_st, spill_ld
      }' "$WORK/ptxas.log" >> "$WORK/report.txt"
  done
done

while read -r module kernel arch regs smem stack spill_st spill_ld; do
  [[ "$module" == \#* ]] && continue
  if [ "$stack" != 0 ] || [ "$spill_st" != 0 ] || [ "$spill_ld" != 0 ]; then
    allowed "$kernel" || problems+=("$module/$kernel on $arch: $stack bytes local memory, $spill_st/$spill_ld bytes spill stores/loads")
  fi
done < "$WORK/report.txt"
[ ${#problems[@]} -eq 0 ] || { printf '  %s\n' "${problems[@]}" >&2; fail "local memory or spills (fix the kernel, or justify it in Kernels/ptxas-allowlist.txt)"; }
log "ptxas sm_80 sm_90 sm_90a ($HOPPER_DIR/: sm_90a): every kernel accepted, no spills, no local memory"

# --- 4. Write (build) or compare (check) ----------------------------------------------------------

if $check_mode; then
  # Compare the whole tree, so that stale .ptx files without a source are caught too.
  mkdir -p "$KERNELS/ptx"
  if ! diff -r -x resource-report.txt "$KERNELS/ptx" "$OUT" > "$WORK/ptx.diff"; then
    head -n 40 "$WORK/ptx.diff" >&2
    fail "committed PTX in Kernels/ptx is not what the sources compile to: run Kernels/build-ptx.sh and commit"
  fi
  if ! diff -u "$REPORT" "$WORK/report.txt" >&2; then
    fail "Kernels/ptx/resource-report.txt is out of date: run Kernels/build-ptx.sh and commit"
  fi
  log "check passed: ${#SOURCES[@]} committed PTX modules match their sources"
else
  # Replace Kernels/ptx entirely: a deleted source takes its PTX with it.
  cp "$WORK/report.txt" "$OUT/resource-report.txt"
  rm -rf "$KERNELS/ptx"
  cp -r "$OUT" "$KERNELS/ptx"
  log "wrote ${#SOURCES[@]} PTX modules and Kernels/ptx/resource-report.txt"
fi
