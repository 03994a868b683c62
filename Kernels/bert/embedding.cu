// Embedding lookup (gather) and its backward (scatter-add of the output gradient into the table),
// for a row-major table [vocab, dim] and n int32 ids.
//
//   forward:  y[i][:] = table[ids[i]][:]
//   backward: dtable[v][:] += Σ_{i : ids[i] = v} dy[i][:]     (repeated ids accumulate)
//
// An id outside [0, vocab) is not read or written; the smallest such position is recorded in
// *bad_position (atomicMin: the launcher sets it to INT_MAX first and checks it), when not null.

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
// Thread-to-data mapping: thread t accumulates columns t, t + blockDim.x, ... of row v. To find the
// positions holding v, each warp scans ids 32 at a time: lane l compares ids[base + l] with v and
// __ballot_sync packs the 32 answers into a bit mask; the warp then visits the set bits from the
// lowest (earliest position) up, stopping after the highest. Every warp computes the same masks, so
// no shared memory is needed.
// Cost: each block scans up to n ids (n / 32 coalesced loads per warp), O(n²) comparisons in all:
// fine for one batch of tokens (n = B·S, a few thousand), not meant for millions of positions.
extern "C" __global__ void embedding_backward_f32(const float* dy, const int* ids, float* dtable,
                                                 int n, int vocab, int dim)
{
    int i = blockIdx.x;
    int v = ids[i];
    if (v < 0 || v >= vocab) return;
    int lane = threadIdx.x % 32;

    // Owner test: does any position before i hold v? (uniform across the block)
    for (int base = 0; base < i; base += 32) {
        int p = base + lane;
        unsigned earlier = __ballot_sync(0xffffffffu, p < i && ids[p] == v);
        if (earlier) return;
    }

    for (int c0 = 0; c0 < dim; c0 += blockDim.x) {
        int c = c0 + threadIdx.x;
        float acc = c < dim ? dtable[(long long)v * dim + c] : 0.0f;
        for (int base = i; base < n; base += 32) {
            int p = base + lane;
            unsigned hits = __ballot_sync(0xffffffffu, p < n && ids[p] == v);
            for (int bit = 0; bit < 32 && (hits >> bit) != 0u; ++bit)   // lowest bit = earliest position
                if ((hits >> bit & 1u) && c < dim) acc += dy[(long long)(base + bit) * dim + c];
        }
        if (c < dim) dtable[(long long)v * dim + c] = acc;
    }
}
