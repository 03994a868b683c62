// CPU twin: Engine/Cpu/CpuBackend.Embedding.cs
// Tests: Tests/CudaBert.Tests/BertKernels/EmbeddingKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Embedding lookup (gather) and its backward (scatter-add of the output gradient into the table),
// for a row-major table [vocab, dim] and n int32 ids.
//
//   forward:  y[i][:] = table[ids[i]][:]
//   backward: dtable[v][:] += Σ_{i : ids[i] = v} dy[i][:]     (repeated ids accumulate)
//
// An id outside [0, vocab) is not read or written; the smallest such position is recorded in
// *bad_position (atomicMin: the caller sets it to INT_MAX first and reads it later), when not null.

// Forward thread-to-data mapping: block i copies row i; thread t copies columns t, t + blockDim.x, ...
extern "C" __global__ void embedding_gather_f32(const float* table, const int* ids, float* y,
                                                int n, int vocab, int dim, int* bad_position)
{
    int i = blockIdx.x;
    int id = ids[i];
    if (id < 0 || id >= vocab) {
        if (threadIdx.x == 0 && bad_position) atomicMin(bad_position, i);
        return;
    }
    const float* src = table + (long long)id * dim;
    float* dst = y + (long long)i * dim;
    for (int c = threadIdx.x; c < dim; c += blockDim.x) dst[c] = src[c];
}

// Backward, deterministic and without float atomics (atomicAdd would make the order of additions,
// hence the rounding, depend on timing). Block i is in charge of position i's id v = ids[i], but only
// if i is the FIRST position holding v; that block then adds dy rows of every position holding v in
// increasing position order, starting from the current dtable[v] row — exactly the order of the CPU
// backend's sequential loop, so the results are bit-identical. No two blocks write the same row.
//
// Thread-to-data mapping: one warp per block. Lane l accumulates columns l, l + 32, ..., l + 32·31
// of a 1024-column chunk of row v in registers (acc[k] is column c0 + l + 32k; the fully unrolled,
// predicated loops keep the array in registers). To find the positions holding v the warp scans ids
// SCAN_BATCHES · 32 = 128 at a time: lane l loads ids[base + 32j + l] for j = 0..3 (all four loads in
// flight together), compares each with v, and __ballot_sync packs each batch's 32 answers into a bit
// mask; the warp then visits batch j = 0..3 and in it the set bits from the lowest (earliest position)
// up, stopping after the highest, and adds that position's dy row (coalesced: 32 consecutive floats per
// step). Why four batches per step: a step's cost is one load latency (the ballots wait on the loads),
// so a warp that scans all n ids waits n / 128 latencies instead of n / 32.
// Cost: each block scans up to n ids once per 1024 columns, O(n²) comparisons in all: fine for one
// batch of tokens (n = B·S, a few thousand), not meant for millions of positions.

#define LANE_COLUMNS 32                            // columns per lane per chunk: chunks of 32·32 = 1024
#define SCAN_BATCHES 4                             // batches of 32 ids per scan step

// hits[j] bit l: position base + 32j + l is in [from, to) and holds v. Called by a whole warp.
__device__ __forceinline__ void match_ids(const int* ids, int base, int from, int to, int v, int lane,
                                          unsigned (&hits)[SCAN_BATCHES])
{
    int id[SCAN_BATCHES];
    #pragma unroll
    for (int j = 0; j < SCAN_BATCHES; ++j) {
        int p = base + 32 * j + lane;
        id[j] = p >= from && p < to ? ids[p] : -1;   // -1: never a valid id, never v
    }
    #pragma unroll
    for (int j = 0; j < SCAN_BATCHES; ++j) hits[j] = __ballot_sync(0xffffffffu, id[j] == v);
}

extern "C" __global__ void embedding_backward_f32(const float* dy, const int* ids, float* dtable,
                                                 int n, int vocab, int dim)
{
    int i = blockIdx.x;
    int v = ids[i];
    if (v < 0 || v >= vocab) return;
    int lane = threadIdx.x;

    // Owner test: does any position before i hold v? (the same answer in every lane)
    for (int base = 0; base < i; base += 32 * SCAN_BATCHES) {
        unsigned hits[SCAN_BATCHES];
        match_ids(ids, base, 0, i, v, lane, hits);
        unsigned any = 0u;
        #pragma unroll
        for (int j = 0; j < SCAN_BATCHES; ++j) any |= hits[j];
        if (any) return;
    }

    float* row = dtable + (long long)v * dim;
    for (int c0 = 0; c0 < dim; c0 += 32 * LANE_COLUMNS) {
        float acc[LANE_COLUMNS];
        #pragma unroll
        for (int k = 0; k < LANE_COLUMNS; ++k) {
            int c = c0 + lane + 32 * k;
            acc[k] = c < dim ? row[c] : 0.0f;
        }
        for (int base = i; base < n; base += 32 * SCAN_BATCHES) {
            unsigned hits[SCAN_BATCHES];
            match_ids(ids, base, i, n, v, lane, hits);
            #pragma unroll 1                      // one copy of the row update below, not four: fewer registers
            for (int j = 0; j < SCAN_BATCHES; ++j) {
                unsigned batch = hits[0];            // hits[j] with constant indices (a register, not local memory)
                #pragma unroll
                for (int t = 1; t < SCAN_BATCHES; ++t)
                    if (j == t) batch = hits[t];
                for (int bit = 0; bit < 32 && (batch >> bit) != 0u; ++bit) {   // lowest bit = earliest position
                    if (!(batch >> bit & 1u)) continue;
                    const float* dyr = dy + (long long)(base + 32 * j + bit) * dim;
                    #pragma unroll
                    for (int k = 0; k < LANE_COLUMNS; ++k) {
                        int c = c0 + lane + 32 * k;
                        if (c < dim) acc[k] += dyr[c];
                    }
                }
            }
        }
        #pragma unroll
        for (int k = 0; k < LANE_COLUMNS; ++k) {
            int c = c0 + lane + 32 * k;
            if (c < dim) row[c] = acc[k];
        }
    }
}
