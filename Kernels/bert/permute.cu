// Head split and merge: swap axes 1 and 2 of a row-major [A, P, Q, D] tensor, y[a][q][p][d] = x[a][p][q][d].
//   split: [B, S, H, Dh] → [B, H, S, Dh]  (A = B, P = S, Q = H, D = Dh)
//   merge: [B, H, S, Dh] → [B, S, H, Dh]  (A = B, P = H, Q = S, D = Dh)
// Both are the same kernel with P and Q exchanged.
//
// Thread-to-data mapping: a grid-stride loop over the OUTPUT elements in memory order, so stores are
// coalesced; runs of D consecutive outputs read D consecutive inputs (Dh = 64 floats = 256 bytes),
// so loads are coalesced too. 32-bit indices: the launcher checks A·P·Q·D < 2³¹.

extern "C" __global__ void swap_axes_1_2_f32(const float* x, float* y, int a_dim, int p_dim, int q_dim, int d_dim)
{
    int n = a_dim * p_dim * q_dim * d_dim;
    for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < n; o += gridDim.x * blockDim.x) {
        int d = o % d_dim;
        int rest = o / d_dim;
        int p = rest % p_dim;          // output is [A, Q, P, D]: p varies faster than q
        rest /= p_dim;
        int q = rest % q_dim;
        int a = rest / q_dim;
        y[o] = x[(((a * p_dim) + p) * q_dim + q) * d_dim + d];
    }
}
