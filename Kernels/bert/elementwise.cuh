// Grid-stride loops over flat float32 buffers, vectorized: the shared skeleton of elementwise.cu and
// activations.cu (a header: included, not compiled alone). The per-element operation is a small
// function object `op`, so each kernel only says what it computes.
//
// Thread-to-data mapping: thread g = blockIdx.x · blockDim.x + threadIdx.x of a grid of G threads
// handles the float4 vectors g, g + G, g + 2G, ... (elements 4v .. 4v + 3), then the last n % 4
// elements one by one. One 16-byte load per operand per vector gives each thread four times the bytes
// in flight of a scalar loop, which is what a memory-bound kernel needs to approach the copy
// bandwidth. float4 accesses need 16-byte aligned addresses: when any pointer is not (a view at an
// odd offset), the whole buffer takes the scalar path. Outputs may alias inputs (each element is read
// and then written by the same thread).

#pragma once

__device__ __forceinline__ bool aligned16(const void* p) { return ((unsigned long long)p & 15ull) == 0; }

__device__ __forceinline__ long long grid_thread() { return (long long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_threads() { return (long long)gridDim.x * blockDim.x; }

// y[i] = op(x[i]).
template <class Op>
__device__ __forceinline__ void map_unary(const float* x, float* y, long long n, Op op)
{
    long long vectors = aligned16(x) && aligned16(y) ? n / 4 : 0;
    for (long long v = grid_thread(); v < vectors; v += grid_threads()) {
        float4 a = reinterpret_cast<const float4*>(x)[v];
        reinterpret_cast<float4*>(y)[v] = make_float4(op(a.x), op(a.y), op(a.z), op(a.w));
    }
    for (long long i = 4 * vectors + grid_thread(); i < n; i += grid_threads()) y[i] = op(x[i]);
}

// y[i] = op(a[i], b[i]).
template <class Op>
__device__ __forceinline__ void map_binary(const float* a, const float* b, float* y, long long n, Op op)
{
    long long vectors = aligned16(a) && aligned16(b) && aligned16(y) ? n / 4 : 0;
    for (long long v = grid_thread(); v < vectors; v += grid_threads()) {
        float4 p = reinterpret_cast<const float4*>(a)[v], q = reinterpret_cast<const float4*>(b)[v];
        reinterpret_cast<float4*>(y)[v] = make_float4(op(p.x, q.x), op(p.y, q.y), op(p.z, q.z), op(p.w, q.w));
    }
    for (long long i = 4 * vectors + grid_thread(); i < n; i += grid_threads()) y[i] = op(a[i], b[i]);
}
