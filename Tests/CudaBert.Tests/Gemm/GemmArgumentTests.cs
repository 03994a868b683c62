using CudaBert.Engine.Cpu;

namespace CudaBert.Tests.Gemm;

/// <summary>Bad arguments are rejected before any memory is touched, with messages naming the operand and numbers.</summary>
public class GemmArgumentTests
{
    [Fact]
    public void NegativeDimensionIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.Sgemm(false, false, -1, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Equal("m", error.ParamName);
        Assert.Contains("m = -1", error.Message);
    }

    [Fact]
    public void ShortSpanNamesShapeLeadingDimensionAndLengths()
    {
        // A is 3×4 with lda 4: needs 2·4 + 4 = 12 elements.
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.Sgemm(false, false, 3, 2, 4, 1f, new float[11], 4, new float[8], 2, 0f, new float[6], 2));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("A is stored 3×4 with lda = 4: needs 12 elements, the span has 11", error.Message);
    }

    [Fact]
    public void TransposedOperandIsCheckedWithItsStoredShape()
    {
        // Bᵀ with n = 5, k = 3 is stored 5×3: ldb 2 is too small.
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.Sgemm(false, true, 2, 5, 3, 1f, new float[6], 3, new float[15], 2, 0f, new float[10], 5));
        Assert.Equal("ldb", error.ParamName);
        Assert.Contains("B is stored 5×3 (transposed), so ldb must be at least 3, got 2", error.Message);
    }

    [Fact]
    public void ShortOutputIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.Sgemm(false, false, 2, 3, 1, 1f, new float[2], 1, new float[3], 3, 0f, new float[5], 3));
        Assert.Equal("c", error.ParamName);
        Assert.Contains("needs 6 elements, the span has 5", error.Message);
    }

    [Fact]
    public void BatchedStrideMustCoverEveryMatrix()
    {
        // 3 matrices of 2×2 with strideC 4: needs 2·4 + 4 = 12 elements.
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[12], 2, 4, new float[12], 2, 4,
                0f, new float[11], 2, 4, 3));
        Assert.Equal("c", error.ParamName);
        Assert.Contains("× 3 matrices strideC = 4 apart: needs 12 elements, the span has 11", error.Message);
    }

    [Fact]
    public void NegativeStrideIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[8], 2, -4, new float[8], 2, 4,
                0f, new float[8], 2, 4, 2));
        Assert.Equal("strideA", error.ParamName);
    }

    [Fact]
    public void OverlappingOutputsAreRejectedButSharedInputsAllowed()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[8], 2, 4, new float[4], 2, 0,
                0f, new float[8], 2, 3, 2));
        Assert.Equal("strideC", error.ParamName);
        Assert.Contains("strideC = 3 makes the 2 C matrices (each 2×2 with ldc = 2, 4 elements) overlap", error.Message);

        // B shared by both products (stride 0): [1 2; 3 4]·I and [5 6; 7 8]·I.
        float[] a = [1, 2, 3, 4, 5, 6, 7, 8], identity = [1, 0, 0, 1], c = new float[8];
        CpuGemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, a, 2, 4, identity, 2, 0, 0f, c, 2, 4, 2);
        Assert.Equal(a, c);
    }
}
