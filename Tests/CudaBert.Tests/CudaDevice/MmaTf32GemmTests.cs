using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/mma_tf32_gemm.cu: ldmatrix + mma.sync m16n8k8 with TF32 inputs, C = A Bᵀ.</summary>
public class MmaTf32GemmTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MatchesGemmOnTf32RoundedInputs(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/mma_tf32_gemm"), "mma_tf32_gemm");
        const int M = 32, N = 24, K = 40;               // 2 x 3 warp tiles of 16 x 8, 5 steps of k = 8
        float[] a = TestInputs.NonZero(11, M * K), b = TestInputs.NonZero(12, N * K);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, M * N);

        gpu.Launch(kernel, new Dim3(N / 8, M / 16), 32, 0, null, new KernelArgs().I32(M).I32(N).I32(K).Ptr(da.Ptr).Ptr(db.Ptr).Ptr(dc.Ptr));
        gpu.Synchronize();

        // Reference: the exact dot product of the TF32-rounded inputs. The bound, K u Σ|a||b|, is ~15x
        // below the error of skipping the TF32 rounding (about 2^-11 relative per product), so a device
        // that does not round is caught.
        TestInputs.AssertTensorCoreABt(a.Select(TestInputs.RoundToTf32).ToArray(), b.Select(TestInputs.RoundToTf32).ToArray(), dc.Read(), M, N, K);
    }
}
