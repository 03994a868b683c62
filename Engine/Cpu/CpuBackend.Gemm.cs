namespace CudaBert.Engine.Cpu;

// Matrix products: float32 goes to CpuGemm (the tuned kernel), float64 to the reference loop, bfloat16
// operands are widened to float32 (exactly) and then go to CpuGemm too.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        // Row strides of the stored (untransposed) matrices: A is M×K or K×M, B is K×N or N×K.
        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
        long strideA = (long)m * k, strideB = (long)k * n, strideC = (long)m * n;
        if (a.DType == DType.BFloat16 || b.DType == DType.BFloat16) { GemmBFloat16(transA, transB, batch, m, n, k, alpha, a, b, beta, c); return; }
        if (c.DType == DType.Float32)
        {
            if (batch == 1)
                CpuGemm.Sgemm(transA, transB, m, n, k, (float)alpha, a.AsSpan<float>(), lda, b.AsSpan<float>(), ldb, (float)beta, c.AsSpan<float>(), ldc);
            else
                CpuGemm.SgemmStridedBatched(transA, transB, m, n, k, (float)alpha, a.AsSpan<float>(), lda, strideA,
                    b.AsSpan<float>(), ldb, strideB, (float)beta, c.AsSpan<float>(), ldc, strideC, batch);
        }
        else if (c.DType == DType.Float64)
        {
            for (int i = 0; i < batch; i++)
                Float64Gemm.Dgemm(transA, transB, m, n, k, alpha, a.AsSpan<double>()[(int)(i * strideA)..], lda,
                    b.AsSpan<double>()[(int)(i * strideB)..], ldb, beta, c.AsSpan<double>()[(int)(i * strideC)..], ldc);
        }
        else throw new NotSupportedException($"Gemm: needs float tensors, got {c.DType}");
    }

    /// <summary>
    /// The reference of mixed precision: bfloat16 A and B widened to float32 (exact: a bfloat16 is a
    /// float32 with 16 zero bits) and multiplied by the float32 GEMM, so the products accumulate in
    /// float32 exactly as they would for those float32 values. A bfloat16 C is widened for β and the
    /// result rounded back once.
    /// </summary>
    private void GemmBFloat16(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        if (a.DType != DType.BFloat16 || b.DType != DType.BFloat16 || c.DType is not (DType.Float32 or DType.BFloat16))
            throw new NotSupportedException($"Gemm: bfloat16 operands need A and B both BFloat16 and C Float32 or BFloat16, got A {a.DType} {a.Shape}, B {b.DType} {b.Shape}, C {c.DType} {c.Shape}");
        using var scope = Tensor.Scope();
        var wideA = a.To(DType.Float32);
        var wideB = b.To(DType.Float32);
        var wideC = c.DType == DType.Float32 ? c : c.To(DType.Float32);
        Gemm(transA, transB, batch, m, n, k, alpha, wideA, wideB, beta, wideC);
        if (wideC != c) Cast(wideC, c);
    }
}
