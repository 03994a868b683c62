using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/mma_bf16_gemm.cu: ldmatrix + mma.sync m16n8k16, BF16 inputs, FP32 accumulation, C = A Bᵀ.</summary>
public class MmaBf16GemmTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MatchesGemmOnBf16Inputs(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/mma_bf16_gemm"), "mma_bf16_gemm");
        const int M = 32, N = 16, K = 48;               // 2 x 2 warp tiles of 16 x 8, 3 steps of k = 16
        ushort[] a = TestInputs.NonZero(13, M * K).Select(TestInputs.ToBf16).ToArray();
        ushort[] b = TestInputs.NonZero(14, N * K).Select(TestInputs.ToBf16).ToArray();
        using DeviceArray<ushort> da = new(gpu, a), db = new(gpu, b);
        using DeviceArray<float> dc = new(gpu, M * N);

        gpu.Launch(kernel, new Dim3(N / 8, M / 16), 32, 0, null, new KernelArgs().I32(M).I32(N).I32(K).Ptr(da.Ptr).Ptr(db.Ptr).Ptr(dc.Ptr));
        gpu.Synchronize();

        // BF16 products are exact in float32 and float64; only the float32 accumulation rounds.
        TestInputs.AssertTensorCoreABt(a.Select(TestInputs.FromBf16).ToArray(), b.Select(TestInputs.FromBf16).ToArray(), dc.Read(), M, N, K);
    }
}
