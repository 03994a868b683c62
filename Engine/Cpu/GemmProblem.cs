namespace CudaBert.Engine.Cpu;

/// <summary>
/// One validated, pinned product C = alpha·op(A)·op(B) + beta·C, with op(A) and op(B) described by
/// element strides so that transposition is just a swap of the two strides.
/// </summary>
internal readonly unsafe struct GemmProblem
{
    public required int M { get; init; }
    public required int N { get; init; }
    public required int K { get; init; }
    public required float Alpha { get; init; }
    public required float Beta { get; init; }

    /// <summary>op(A)[i, p] = A[i·ARowStride + p·AColStride].</summary>
    public required float* A { get; init; }
    public required nint ARowStride { get; init; }
    public required nint AColStride { get; init; }

    /// <summary>op(B)[p, j] = B[p·BRowStride + j·BColStride].</summary>
    public required float* B { get; init; }
    public required nint BRowStride { get; init; }
    public required nint BColStride { get; init; }

    /// <summary>C[i, j] = C[i·Ldc + j].</summary>
    public required float* C { get; init; }
    public required nint Ldc { get; init; }

    public static GemmProblem Create(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) => new()
    {
        M = m, N = n, K = k, Alpha = alpha, Beta = beta,
        A = a, ARowStride = transA ? 1 : lda, AColStride = transA ? lda : 1,
        B = b, BRowStride = transB ? 1 : ldb, BColStride = transB ? ldb : 1,
        C = c, Ldc = ldc,
    };
}
