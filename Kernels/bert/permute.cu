// CPU twin: Engine/Cpu/CpuBackend.Attention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/PermuteKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Axis permutes: the head split/merge special case, and a general one (permute_6d_b32, at the end).
//
// Head split and merge: swap axes 1 and 2 of a row-major [A, P, Q, D] tensor, y[a][q][p][d] = x[a][p][q][d].
//   split: [B, S, H, Dh] → [B, H, S, Dh]  (A = B, P = S, Q = H, D = Dh)
//   merge: [B, H, S, Dh] → [B, S, H, Dh]  (A = B, P = H, Q = S, D = Dh)
// Both are the same kernel with P and Q exchanged.
//
// Thread-to-data mapping: a 2-D block (blockDim.x threads along d, blockDim.y output rows). An output
// row is the D contiguous elements y[a][q][p][:]; row index r = (a·Q + q)·P + p. Thread (tx, ty) of
// block bx takes rows r = bx·blockDim.y + ty, + gridDim.x·blockDim.y, ... (a grid-stride loop over rows)
// and in each the elements d = tx, tx + blockDim.x, ... Stores are coalesced, and so are loads: a run of
// D outputs reads a run of D inputs (Dh = 64 floats = 256 bytes). The index arithmetic (divisions) is
// done once per row, not per element. 32-bit indices: the launcher checks A·P·Q·D < 2³¹.
// The element is a template parameter: with D % 4 == 0 and 16-byte aligned x and y the launcher runs
// the float4 instance on D / 4 vectors (one 16-byte load and store per thread per row: Dh = 64 is 16
// threads per row), else the float instance; a row is the same bytes either way.
template <class T>
__device__ __forceinline__ void swap_axes_1_2(const T* x, T* y, int a_dim, int p_dim, int q_dim, int d_dim)
{
    int rows = a_dim * q_dim * p_dim;
    for (int r = blockIdx.x * blockDim.y + threadIdx.y; r < rows; r += gridDim.x * blockDim.y) {
        int p = r % p_dim;             // output is [A, Q, P, D]: p varies fastest among the rows
        int q = (r / p_dim) % q_dim;
        int a = r / (p_dim * q_dim);
        const T* src = x + (((long long)a * p_dim + p) * q_dim + q) * d_dim;
        T* dst = y + (long long)r * d_dim;
        for (int d = threadIdx.x; d < d_dim; d += blockDim.x) dst[d] = src[d];
    }
}

extern "C" __global__ void swap_axes_1_2_f32(const float* x, float* y, int a_dim, int p_dim, int q_dim, int d_dim)
{
    swap_axes_1_2(x, y, a_dim, p_dim, q_dim, d_dim);
}

// d_dim counts float4 vectors (D / 4).
extern "C" __global__ void swap_axes_1_2_vec4_f32(const float4* x, float4* y, int a_dim, int p_dim, int q_dim, int d_dim)
{
    swap_axes_1_2(x, y, a_dim, p_dim, q_dim, d_dim);
}

// General permute of up to 6 axes, for any 4-byte element (float32 or int32): y.shape[i] =
// x.shape[axes[i]]. The launcher passes the output dimensions d0..d5 and, for each output axis, the
// stride of the input axis it comes from (s0..s5, in elements), padded at the front with dimension 1.
// Thread-to-data mapping: a grid-stride loop over output elements in memory order (coalesced stores);
// each thread splits its output index into coordinates, last axis first, and sums coordinate·stride.
// Loads are coalesced when the last output axis is also the input's last (stride 1), as in every
// BERT permute; swap_axes_1_2_f32 above is the faster special case for heads.
extern "C" __global__ void permute_6d_b32(const unsigned* x, unsigned* y, long long n,
                                          int d0, int d1, int d2, int d3, int d4, int d5,
                                          long long s0, long long s1, long long s2, long long s3, long long s4, long long s5)
{
    const int dims[6] = { d0, d1, d2, d3, d4, d5 };
    const long long strides[6] = { s0, s1, s2, s3, s4, s5 };
    for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < n; o += (long long)gridDim.x * blockDim.x) {
        long long rest = o, offset = 0;
        #pragma unroll
        for (int axis = 5; axis >= 0; --axis) {
            offset += rest % dims[axis] * strides[axis];
            rest /= dims[axis];
        }
        y[o] = x[offset];
    }
}
