// CPU twin: Engine/Cpu/CpuBackend.Dropout.cs
// Tests: Tests/CudaBert.Tests/BertKernels/DropoutKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Dropout with a counter-based random mask: y[i] = keep_i ? x[i] · keep_scale : 0 with
// keep_i = (u_i ≥ p), keep_scale = 1/(1 − p) (rounded to float by the launcher).
//
// u_i comes from Philox4x32-10 (philox.cuh) at stream position offset + i, exactly as the CPU
// backend (Engine/Random/Philox.cs) computes it, so both backends drop the same elements.
// The backward pass is this kernel applied to dy with the same (seed, offset): the same mask.
//
// offset_shift, when not null, points to a number added to offset (the stream position is then
// offset + *offset_shift + i). A captured graph replays its launches with the arguments they had at
// capture; the shift, in device memory, is what the host changes between replays to draw fresh masks.
//
// Thread-to-data mapping: one Philox evaluation gives four words, so a thread works on one aligned
// group of four stream positions 4·(offset/4 + g) ... + 3 at a time (a grid-stride loop over g) and
// handles the elements among them that fall in [0, n): one evaluation per four elements.
// When offset % 4 == 0 group g is exactly elements 4g .. 4g + 3, so with 16-byte aligned x and y the
// thread moves them as one float4 load and one float4 store (the vector loop, over the n / 4 whole
// groups): a 16-byte access per operand per Philox call, as the elementwise kernels do. The scalar
// loop takes what is left: the last n % 4 elements, or every group when the offset or a pointer is
// not aligned. Which elements are kept is the same in both loops: only the memory access differs.

#include "elementwise.cuh"
#include "philox.cuh"

// x · keep_scale when the 24 random bits of `word` give u ≥ p, else 0.
__device__ __forceinline__ float drop(unsigned word, float x, float p, float keep_scale)
{
    return philox_uniform(word) >= p ? x * keep_scale : 0.0f;
}

extern "C" __global__ void dropout_f32(const float* x, float* y, long long n, float p, float keep_scale,
                                       unsigned seed_lo, unsigned seed_hi, unsigned long long offset,
                                       const unsigned long long* offset_shift)
{
    if (offset_shift != nullptr) offset += *offset_shift;
    unsigned long long first_group = offset / 4;
    long long vectors = offset % 4 == 0 && aligned16(x) && aligned16(y) ? n / 4 : 0;
    for (long long v = grid_thread(); v < vectors; v += grid_threads()) {
        float4 a = reinterpret_cast<const float4*>(x)[v];      // issued first: in flight during the ten rounds
        unsigned long long group = first_group + v;
        uint4 r = philox_group(group, seed_lo, seed_hi);
        reinterpret_cast<float4*>(y)[v] = make_float4(drop(r.x, a.x, p, keep_scale), drop(r.y, a.y, p, keep_scale),
                                                      drop(r.z, a.z, p, keep_scale), drop(r.w, a.w, p, keep_scale));
    }
    unsigned long long groups = (offset + n + 3) / 4 - first_group;
    for (unsigned long long g = vectors + grid_thread(); g < groups; g += grid_threads()) {
        unsigned long long group = first_group + g;
        uint4 r = philox_group(group, seed_lo, seed_hi);
        unsigned words[4] = { r.x, r.y, r.z, r.w };
        #pragma unroll
        for (int k = 0; k < 4; ++k) {
            long long i = (long long)(group * 4 + k - offset);   // element index; may be outside [0, n)
            if (i >= 0 && i < n) y[i] = drop(words[k], x[i], p, keep_scale);
        }
    }
}
