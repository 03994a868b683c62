// CPU twin: Engine/Cpu/CpuBackend.Crf.cs, Engine/Cpu/CrfForwardBackward.cs
// Tests: Tests/CudaBert.Tests/CudaBackend/CrfPrimitiveTests.cs
// Benchmark: none (B·W·T² work, small beside the encoder's; it is timed inside the training step)

// Linear-chain CRF negative log-likelihood and its gradient, by the forward-backward algorithm in log
// space. emissions [B, W, T] row-major, tags [B, W] int32 (a run of tags in [0, T), then −100 to the
// end of the row: the run's length is the sequence's length L), transitions [T, T] (from, to),
// start [T], end [T].
//
//   forward   α[0, t] = start[t] + e[0, t]       α[i, t] = e[i, t] + logsumexp_s (α[i−1, s] + A[s, t])
//   backward  β[L−1, t] = end[t]                  β[i, s] = logsumexp_t (A[s, t] + e[i+1, t] + β[i+1, t])
//   log Z = logsumexp_t (α[L−1, t] + end[t]),     nll = log Z − score(tags)
//   gradient  de[i, t]   = g · (exp(α[i, t] + β[i, t] − log Z) − [yᵢ = t])          (0 for i ≥ L)
//             dA[s, t]  += g · (exp(α[i−1, s] + A[s, t] + e[i, t] + β[i, t] − log Z) − [yᵢ₋₁ = s, yᵢ = t])
//             dstart, dend: the marginals of the first and last word minus their one-hots
//   with g = dloss · scale (scale = 1/B for a mean).
//
// Thread-to-data map of crf_nll_f32 and crf_nll_backward_f32: one block per sequence b, one thread
// per tag (blockDim.x = T rounded up to a warp, T ≤ 1024; threads t ≥ T only join the barriers):
//
//            tag t →   0    1    2   ...  T−1
//   word 0           [ t0 | t1 | t2 | ... ]      each step i is one barrier-separated round: thread t
//   word 1           [ t0 | t1 | t2 | ... ]      reads the whole previous row α[i−1, ·] from shared
//    ...                                         memory and column t of A (coalesced across threads)
//   word L−1         [ t0 | t1 | t2 | ... ]      and writes α[i, t]; the backward runs the rows upwards.
//
// The backward kernel keeps α for every word in the caller's workspace (alpha [B, W, T]) and the
// rolling β row in shared memory. Thread t owns column t of its sequence's partial dA (and entry t
// of dstart and dend), so the partials need no atomics; crf_sum_rows_f32 then adds the B partials
// in sequence order, one thread per entry. Every sum has a fixed order: results are bit-reproducible.
// A sequence of length 0, a tag outside [0, T) or a tag after −100 makes that sequence's loss and
// gradients NaN (the CPU backend throws instead).

#include "reduce.cuh"

#define CRF_MAX_TAGS 1024
#define CRF_PADDING (-100)

__device__ __forceinline__ float not_a_number() { return __int_as_float(0x7fc00000); }

// The sequence's length, or −1 when its tags are not a run of valid tags followed by padding.
// Thread 0 reads the row; every thread returns the result.
__device__ int sequence_length(const int* tags, int words, int tag_count, int* shared_length)
{
    if (threadIdx.x == 0) {
        int length = 0;
        bool valid = true;
        for (int w = 0; w < words; ++w) {
            int y = tags[w];
            if (y == CRF_PADDING) continue;
            if (y < 0 || y >= tag_count || length != w) valid = false;
            ++length;
        }
        *shared_length = valid && length > 0 ? length : -1;
    }
    __syncthreads();
    return *shared_length;
}

// logsumexp over s of previous[s] + transitions[s, t] (column t of A): the inner step of the forward recursion.
__device__ __forceinline__ float column_logsumexp(const float* previous, const float* transitions, int t, int tag_count)
{
    float m = negative_infinity();
    for (int s = 0; s < tag_count; ++s) m = fmaxf(m, previous[s] + transitions[s * tag_count + t]);
    float sum = 0.0f;
    for (int s = 0; s < tag_count; ++s) sum += expf(previous[s] + transitions[s * tag_count + t] - m);
    return m + logf(sum);
}

// Runs the forward recursion of one sequence; returns log Z to every thread. When alpha_out is not
// null, α[i, t] is also stored there ([W, T], the sequence's rows).
__device__ float forward_log_partition(const float* e, const float* transitions, const float* start, const float* end,
                                       int length, int tag_count, float* alpha_out, float (*alpha)[CRF_MAX_TAGS], float* partial)
{
    int t = threadIdx.x;
    bool active = t < tag_count;
    if (active) {
        alpha[0][t] = start[t] + e[t];
        if (alpha_out) alpha_out[t] = alpha[0][t];
    }
    __syncthreads();
    for (int i = 1; i < length; ++i) {
        const float* previous = alpha[(i - 1) & 1];
        if (active) {
            float a = e[i * tag_count + t] + column_logsumexp(previous, transitions, t, tag_count);
            alpha[i & 1][t] = a;
            if (alpha_out) alpha_out[i * tag_count + t] = a;
        }
        __syncthreads();
    }
    float last = active ? alpha[(length - 1) & 1][t] + end[t] : negative_infinity();
    float m = block_max(last, partial);
    float sum = block_sum(active ? expf(last - m) : 0.0f, partial);
    return m + logf(sum);
}

// Thread-to-data map: above (one block per sequence, one thread per tag). nll [B] gets log Z − score.
extern "C" __global__ void crf_nll_f32(const float* emissions, const int* tags, const float* transitions, const float* start,
                                       const float* end, int words, int tag_count, float* nll)
{
    __shared__ float alpha[2][CRF_MAX_TAGS];
    __shared__ float partial[32];
    __shared__ int shared_length;
    int b = blockIdx.x;
    const float* e = emissions + (long long)b * words * tag_count;
    const int* y = tags + (long long)b * words;
    int length = sequence_length(y, words, tag_count, &shared_length);
    if (length < 0) {
        if (threadIdx.x == 0) nll[b] = not_a_number();
        return;
    }
    float log_z = forward_log_partition(e, transitions, start, end, length, tag_count, nullptr, alpha, partial);
    if (threadIdx.x == 0) {
        float score = start[y[0]] + end[y[length - 1]];
        for (int i = 0; i < length; ++i) {
            score += e[i * tag_count + y[i]];
            if (i > 0) score += transitions[y[i - 1] * tag_count + y[i]];
        }
        nll[b] = log_z - score;
    }
}

// Thread-to-data map: above. Writes demissions [B, W, T] and, per sequence, the partial gradients
// partials[b] = (dA [T, T], dstart [T], dend [T]); alpha is a workspace of [B, W, T] floats.
// dloss is a device scalar; g = *dloss · scale.
extern "C" __global__ void crf_nll_backward_f32(const float* emissions, const int* tags, const float* transitions, const float* start,
                                                const float* end, int words, int tag_count, const float* dloss, float scale,
                                                float* alpha_workspace, float* demissions, float* partials)
{
    __shared__ float alpha[2][CRF_MAX_TAGS];
    __shared__ float beta[2][CRF_MAX_TAGS];
    __shared__ float partial[32];
    __shared__ int shared_length;
    int b = blockIdx.x, t = threadIdx.x;
    bool active = t < tag_count;
    long long sequence = (long long)b * words * tag_count;
    const float* e = emissions + sequence;
    const int* y = tags + (long long)b * words;
    float* a = alpha_workspace + sequence;
    float* de = demissions + sequence;
    float* dA = partials + (long long)b * (tag_count * tag_count + 2 * tag_count);
    float* dstart = dA + tag_count * tag_count;
    float* dend = dstart + tag_count;

    int length = sequence_length(y, words, tag_count, &shared_length);
    if (length < 0) {
        for (int j = t; j < words * tag_count; j += blockDim.x) de[j] = not_a_number();
        for (int j = t; j < tag_count * tag_count + 2 * tag_count; j += blockDim.x) dA[j] = not_a_number();
        return;
    }
    float log_z = forward_log_partition(e, transitions, start, end, length, tag_count, a, alpha, partial);
    float g = *dloss * scale;
    if (active) {
        for (int s = 0; s < tag_count; ++s) dA[s * tag_count + t] = 0.0f;
        for (int i = length; i < words; ++i) de[i * tag_count + t] = 0.0f;
        beta[(length - 1) & 1][t] = end[t];
    }
    for (int i = length - 1; i >= 0; --i) {
        if (active) {
            float beta_t = beta[i & 1][t];
            float marginal = expf(a[i * tag_count + t] + beta_t - log_z);
            float observed = y[i] == t ? 1.0f : 0.0f;
            de[i * tag_count + t] = g * (marginal - observed);
            if (i == length - 1) dend[t] = g * (marginal - observed);
            if (i == 0) dstart[t] = g * (marginal - observed);
            // Pairs (i−1, i): thread t owns column t of dA.
            float e_t = e[i * tag_count + t];
            for (int s = 0; i > 0 && s < tag_count; ++s)
                dA[s * tag_count + t] += g * expf(a[(i - 1) * tag_count + s] + transitions[s * tag_count + t] + e_t + beta_t - log_z);
            if (i > 0 && y[i] == t) dA[y[i - 1] * tag_count + t] -= g;
        }
        if (i == 0) break;
        __syncthreads();   // every thread has written β[i, ·] (the round before) and read it above
        if (active) {
            // β[i−1, s] for s = t: row t of A against the row i.
            const float* next = beta[i & 1];
            float m = negative_infinity();
            for (int u = 0; u < tag_count; ++u) m = fmaxf(m, transitions[t * tag_count + u] + e[i * tag_count + u] + next[u]);
            float sum = 0.0f;
            for (int u = 0; u < tag_count; ++u) sum += expf(transitions[t * tag_count + u] + e[i * tag_count + u] + next[u] - m);
            beta[(i - 1) & 1][t] = m + logf(sum);
        }
    }
}

// Thread-to-data map: thread j (grid-stride) owns entry j; it adds rows[b * stride + j] over b = 0..rows−1
// in order and writes scale times the sum to out[j].
extern "C" __global__ void crf_sum_rows_f32(const float* rows, int row_count, int stride, int n, float scale, float* out)
{
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < n; j += gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (int b = 0; b < row_count; ++b) s += rows[(long long)b * stride + j];
        out[j] = scale * s;
    }
}
