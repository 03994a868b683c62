namespace CudaBert.Engine.Cpu;

/// <summary>
/// The innermost piece of the GEMM: multiplies one packed MR×kc sliver of A by one packed kc×NR
/// sliver of B and writes the MR×NR result into C, keeping the whole tile in vector registers.
/// </summary>
/// <remarks>
/// Packed layouts (see <see cref="GemmPacking"/>): for each p in [0, kc) the sliver of A holds the
/// MR values op(A)[i0..i0+MR, p] next to each other, and the sliver of B holds the NR values
/// op(B)[p, j0..j0+NR]. One step of the k loop is therefore a rank-1 update of the tile: NR/W vector
/// loads of B, MR broadcasts of A, MR·NR/W fused multiply-adds (W = floats per vector).
/// Kernels are structs so the JIT compiles one specialised driver per kernel, with MR and NR as
/// constants.
/// </remarks>
internal interface IGemmMicroKernel
{
    /// <summary>Rows of the C tile (rows of each packed A sliver).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of the C tile (columns of each packed B sliver); a multiple of the vector width.</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// C[0..MR, 0..NR] = alpha·(Apack·Bpack) + beta·C, where rows of C are <paramref name="ldc"/> floats apart.
    /// beta == 0 never reads C, so NaN or garbage there is overwritten (the BLAS rule).
    /// </summary>
    static abstract unsafe void Run(int kc, float* packedA, float* packedB, float* c, nint ldc, float alpha, float beta);
}
