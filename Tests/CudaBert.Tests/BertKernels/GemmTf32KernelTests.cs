using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Gemm;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/bert/gemm_tf32.cu. The reference multiplies the inputs rounded to tf32 exactly as the kernel
/// rounds them (cvt.rna), in float64; what is left is the fp32 accumulation, so the float32 GEMM bound
/// applies (doubled: the tensor core's internal accumulation order is not specified).
/// </summary>
public class GemmTf32KernelTests
{
    // Leading dimensions must be multiples of 4; none of M, N, K is a multiple of a tile (128×128 or
    // 64×64, K slices of 32); K = 20 is one partial slice. These tests take the tile Auto picks (64×64
    // for K ≤ 128); PaddedRowsAndEdgeTilesOnBothTiles runs each tile with several slices.
    const int M = 36, N = 148, K = 20, Batch = 2;

    [Theory, MemberData(nameof(GemmKernelTests.DevicesAndTransposes), MemberType = typeof(GemmKernelTests))]
    public void BatchedProductOfTf32RoundedInputs(string device, bool transA, bool transB)
    {
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(130, Batch * M * K), b = TestInputs.NonZero(131, Batch * K * N), c = TestInputs.NonZero(132, Batch * M * N);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = 1.25f, beta = 0.5f;

        GemmKernels.Tf32(gpu, transA, transB, Batch, M, N, K, alpha, da.Ptr, db.Ptr, beta, dc.Ptr);

        float[] a32 = Array.ConvertAll(a, TestInputs.RoundToTf32), b32 = Array.ConvertAll(b, TestInputs.RoundToTf32);
        GemmReference.AssertBatched(dc.Read(), transA, transB, Batch, M, N, K, alpha, a32, b32, beta, c, boundScale: 2);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    public static TheoryData<string, GemmTf32Tile, bool, bool> DevicesTilesAndTransposes()
    {
        var data = new TheoryData<string, GemmTf32Tile, bool, bool>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var tile in new[] { GemmTf32Tile.Large128, GemmTf32Tile.Small64 })
                foreach (bool transA in new[] { false, true })
                    foreach (bool transB in new[] { false, true })
                        data.Add(device, tile, transA, transB);
        return data;
    }

    [Theory, MemberData(nameof(DevicesTilesAndTransposes))]
    public void PaddedRowsAndEdgeTilesOnBothTiles(string device, GemmTf32Tile tile, bool transA, bool transB)
    {
        // Row lengths padded past the matrix (lda, ldb > the stored extent, ldc > N with its padding
        // checked untouched), so K = 99 is no multiple of 4: the last 16-byte chunk along k holds 3
        // floats. K = 99 is 4 slices of 32 (the ring of 3 buffers wraps), the last one 3 wide.
        // M = 130, N = 141: for both tiles, blocks wholly inside the matrix (the copies' fast path) and
        // partial ones along m and n (3 × 3 blocks of 64, 2 × 2 of 128).
        // The epilogue's runs of 2 or 4 columns: ldc = 144 lets them be vector stores, and N = 141 cuts
        // the last run (element by element); ldc = 145 allows no vector access at all.
        const int m = 130, n = 141, k = 99, batch = 2;
        int ldc = transA ? 144 : 145, lda = transA ? m + 2 : k + 1, ldb = transB ? k + 5 : n + 7;
        int aRows = transA ? k : m, bRows = transB ? n : k;
        long strideA = (long)aRows * lda + 4, strideB = (long)bRows * ldb + 8, strideC = (long)m * ldc + 4;
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(136, (int)(batch * strideA)), b = TestInputs.NonZero(137, (int)(batch * strideB)),
            c = TestInputs.NonZero(138, (int)(batch * strideC));
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = -0.75f, beta = 1.5f;

        GemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, lda, strideA, db.Ptr, ldb, strideB, beta, dc.Ptr, ldc, strideC, tile: tile);

        float[] result = dc.Read();
        float[] a32 = Array.ConvertAll(a, TestInputs.RoundToTf32), b32 = Array.ConvertAll(b, TestInputs.RoundToTf32);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha,
                a32.AsSpan((int)(item * strideA), aRows * lda).ToArray(), lda,
                b32.AsSpan((int)(item * strideB), bRows * ldb).ToArray(), ldb,
                beta, c.AsSpan((int)(item * strideC), m * ldc).ToArray(), ldc);
            GemmReference.AssertMatches(expected, Array.ConvertAll(tolerance, t => 2 * t),
                result.AsSpan((int)(item * strideC), m * ldc).ToArray(), c.AsSpan((int)(item * strideC), m * ldc).ToArray(),
                m, n, ldc, $"{tile} transA={transA} transB={transB} batch item {item}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    public static TheoryData<string, GemmTf32Tile, GemmEpilogue> DevicesTilesAndEpilogues()
    {
        var data = new TheoryData<string, GemmTf32Tile, GemmEpilogue>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var tile in new[] { GemmTf32Tile.Large128, GemmTf32Tile.Small64 })
                foreach (var epilogue in new[] { GemmEpilogue.None, GemmEpilogue.Bias, GemmEpilogue.BiasGelu })
                    data.Add(device, tile, epilogue);
        return data;
    }

    [Theory, MemberData(nameof(DevicesTilesAndEpilogues))]
    public void LinearLayerEpiloguesWithSharedWeights(string device, GemmTf32Tile tile, GemmEpilogue epilogue)
    {
        // y = x·Wᵀ (+ bias) (then GELU) for 2 batch items sharing W (batch stride 0); β = 0, so the
        // NaN-filled output must not leak in (C is never read).
        using var gpu = TestDevices.Open(device);
        float[] x = TestInputs.NonZero(133, Batch * M * K), w = TestInputs.NonZero(134, N * K), bias = TestInputs.NonZero(135, N);
        using DeviceArray<float> dx = new(gpu, x), dw = new(gpu, w), dbias = new(gpu, bias), dy = new(gpu, Batch * M * N);

        GemmKernels.Tf32(gpu, false, true, Batch, M, N, K, 1f, dx.Ptr, dw.Ptr, 0f, dy.Ptr, broadcastB: true,
            bias: epilogue == GemmEpilogue.None ? default : dbias.Ptr, epilogue: epilogue, tile: tile);

        float[] w32 = Array.ConvertAll(w, TestInputs.RoundToTf32), y = dy.Read();
        for (int item = 0; item < Batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(false, true, M, N, K, 1f,
                Array.ConvertAll(x.AsSpan(item * M * K, M * K).ToArray(), TestInputs.RoundToTf32), K, w32, K, 0f, new float[M * N], N);
            for (int i = 0; i < M * N; i++)
            {
                var (want, bound) = GemmKernelTests.Epilogue(epilogue, expected[i], 2 * tolerance[i], bias[i % N]);
                AssertClose.Scalar(want, y[item * M * N + i], $"{tile} {epilogue} y[{item}][{i / N}][{i % N}]", absolute: bound);
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData(1, 4096, 2304, 768, GemmTf32Tile.Large128)]    // BERT-base linear QKV: 576 blocks of 128×128
    [InlineData(1, 3072, 768, 4096, GemmTf32Tile.Large128)]    // dW of the FFN: 144 blocks ≥ 132 multiprocessors
    [InlineData(1, 512, 768, 768, GemmTf32Tile.Small64)]       // 24 blocks of 128×128 would leave most of 132 idle
    [InlineData(384, 128, 128, 64, GemmTf32Tile.Small64)]      // attention Q·Kᵀ: K = 64, 2 slices
    [InlineData(384, 128, 64, 128, GemmTf32Tile.Small64)]      // attention P·V: K = 128, 4 slices
    public void ChoosesTheSmallTileForThinGridsAndShortK(int batch, int m, int n, int k, GemmTf32Tile expected)
    {
        var h100 = new DeviceInfo("H100", 9, 0, 80L << 30, 132, 12040, IsSoftware: false, 227 * 1024);
        Assert.Equal(expected, GemmKernels.ChooseTf32Tile(h100, batch, m, n, k));
        // An RTX 4090 (128 multiprocessors) lets a block have 99 KB: the large tile's 108 KB do not fit.
        var ada = h100 with { MultiprocessorCount = 128, MaxSharedBytesPerBlockOptIn = 99 * 1024 };
        Assert.Equal(GemmTf32Tile.Small64, GemmKernels.ChooseTf32Tile(ada, batch, m, n, k));
    }

    [Fact]
    public void TallProductsKeepTheLargeTileWithinTheGridLimit()
    {
        // 64-row blocks would need more than 65535 grid rows: Auto keeps 128, an explicit 64 is refused.
        var h100 = new DeviceInfo("H100", 9, 0, 80L << 30, 132, 12040, IsSoftware: false, 227 * 1024);
        const int m = 65536 * 64 + 1;
        Assert.Equal(GemmTf32Tile.Large128, GemmKernels.ChooseTf32Tile(h100, 1, m, 64, 64));
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            GemmKernels.Tf32(gpu, false, false, 1, m, 4, 4, 1f, new DevicePtr(16), new DevicePtr(16), 0f, new DevicePtr(16), tile: GemmTf32Tile.Small64));
        Assert.Contains("gemm_tf32_64_nn", error.Message);
    }

    [Fact]
    public void RejectsRowsThatAreNot16ByteAligned()
    {
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var error = Assert.Throws<ArgumentException>(() =>
            GemmKernels.Tf32(gpu, false, false, 1, 4, 4, 6, 1f, new DevicePtr(16), new DevicePtr(16), 0f, new DevicePtr(16)));   // lda = K = 6
        Assert.Contains("gemm_tf32_64_nn", error.Message);   // K = 6 ≤ 128: the 64×64 tile
        Assert.False(GemmKernels.SupportsTf32(new DevicePtr(16), 6, 24, new DevicePtr(16), 4, 16));
        Assert.True(GemmKernels.SupportsTf32(new DevicePtr(16), 8, 32, new DevicePtr(32), 4, 0));
    }
}
