using CudaBert.Kernels.Launch;
using CudaBert.Tests.Gemm;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Both GEMM kernels at BERT-base shapes, on the real GPU only (the interpreter would take minutes):
/// a Linear layer of 4 sequences (512 tokens × 768 → 768, x·Wᵀ + bias), the attention scores Q·Kᵀ
/// (24 = 2 sequences × 12 heads of 128×64 · 64×128) and the context P·V (128×128 · 128×64).
/// Reference: the float64 triple loop (on tf32-rounded inputs for the tensor-core kernel).
/// </summary>
public class GemmBertShapeTests
{
    [Theory]
    [InlineData(TestDevices.Driver, false)]
    [InlineData(TestDevices.Driver, true)]
    public void BertBaseShapes(string device, bool tf32)
    {
        using var gpu = TestDevices.Open(device);
        Check(gpu, tf32, transB: true, batch: 1, m: 512, n: 768, k: 768, withBias: true, seed: 150);
        Check(gpu, tf32, transB: true, batch: 24, m: 128, n: 128, k: 64, withBias: false, seed: 151);
        Check(gpu, tf32, transB: false, batch: 24, m: 128, n: 64, k: 128, withBias: false, seed: 152);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData(TestDevices.Driver, GemmTf32Tile.Large128)]
    [InlineData(TestDevices.Driver, GemmTf32Tile.Small64)]
    public void BothTensorCoreTilesAtALinearLayerShape(string device, GemmTf32Tile tile)
    {
        // 24 slices of K: the cp.async ring wraps 8 times; x·Wᵀ + bias (B k-major) and x·W (B mn-major).
        using var gpu = TestDevices.Open(device);
        Check(gpu, tf32: true, transB: true, batch: 1, m: 512, n: 768, k: 768, withBias: true, seed: 153, tile);
        Check(gpu, tf32: true, transB: false, batch: 1, m: 512, n: 768, k: 768, withBias: false, seed: 156, tile);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    static void Check(CudaBert.Kernels.Device.ICudaDevice gpu, bool tf32, bool transB, int batch, int m, int n, int k, bool withBias, int seed,
        GemmTf32Tile tile = GemmTf32Tile.Auto)
    {
        float[] a = TestInputs.NonZero(seed, batch * m * k), b = TestInputs.NonZero(seed + 1, batch * k * n), bias = TestInputs.NonZero(seed + 2, n);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dbias = new(gpu, bias), dc = new(gpu, batch * m * n);
        var epilogue = withBias ? GemmEpilogue.Bias : GemmEpilogue.None;
        if (tile == GemmTf32Tile.Auto)
            GemmKernels.Run(gpu, tf32, false, transB, batch, m, n, k, 1f, da.Ptr, db.Ptr, 0f, dc.Ptr, bias: dbias.Ptr, epilogue: epilogue);
        else
            GemmKernels.Tf32(gpu, false, transB, batch, m, n, k, 1f, da.Ptr, db.Ptr, 0f, dc.Ptr, bias: dbias.Ptr, epilogue: epilogue, tile: tile);

        float[] c = dc.Read();
        if (tf32)
        {
            a = Array.ConvertAll(a, TestInputs.RoundToTf32);
            b = Array.ConvertAll(b, TestInputs.RoundToTf32);
        }
        for (int batchIndex = 0; batchIndex < batch; batchIndex++)
        {
            var (expected, tolerance) = GemmReference.Compute(false, transB, m, n, k, 1f,
                a.AsSpan(batchIndex * m * k, m * k).ToArray(), k, b.AsSpan(batchIndex * k * n, k * n).ToArray(), transB ? k : n,
                0f, new float[m * n], n);
            for (int i = 0; i < m * n; i++)
            {
                var (want, bound) = GemmKernelTests.Epilogue(epilogue, expected[i], 2 * tolerance[i], bias[i % n]);
                AssertClose.Scalar(want, c[batchIndex * m * n + i], $"{(tf32 ? "tf32" : "simt")} {m}x{n}x{k} C[{batchIndex}][{i / n}][{i % n}]", absolute: bound);
            }
        }
    }
}
