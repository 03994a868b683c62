// Moving VEC consecutive floats of a row between global memory and registers (a header: included, not
// compiled alone). The "row in registers" kernels (layer norm, softmax) are templates on VEC: VEC = 4
// makes every access one 16-byte ld/st.global.v4 (the caller guarantees 16-byte aligned addresses:
// row length a multiple of 4 and aligned base pointers), VEC = 1 is the scalar fallback for any width.

#pragma once

template <int VEC>
__device__ __forceinline__ void load_columns(const float* p, int c, float (&v)[VEC])
{
    if constexpr (VEC == 4) {
        float4 q = *reinterpret_cast<const float4*>(p + c);
        v[0] = q.x; v[1] = q.y; v[2] = q.z; v[3] = q.w;
    } else {
        v[0] = p[c];
    }
}

template <int VEC>
__device__ __forceinline__ void store_columns(float* p, int c, const float (&v)[VEC])
{
    if constexpr (VEC == 4) {
        *reinterpret_cast<float4*>(p + c) = make_float4(v[0], v[1], v[2], v[3]);
    } else {
        p[c] = v[0];
    }
}

// Stores a row that a warp holds in registers, laid out as the row-in-registers kernels keep it: lane l
// holds columns VEC·(l + 32k) .. VEC·(l + 32k) + VEC − 1 in its slots k·VEC .. k·VEC + VEC − 1, for
// k < SLOTS. value(i) computes the output of slot i; the loops are unrolled, so i is a constant and the
// slots stay in registers.
template <int VEC, int SLOTS, typename Value>
__device__ __forceinline__ void store_row(float* row, int cols, int lane, Value value)
{
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        int c = VEC * (lane + 32 * k);
        if (c < cols) {
            float out[VEC];
            #pragma unroll
            for (int e = 0; e < VEC; ++e) out[e] = value(k * VEC + e);
            store_columns<VEC>(row, c, out);
        }
    }
}
