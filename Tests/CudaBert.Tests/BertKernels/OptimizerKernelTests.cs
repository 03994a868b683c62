using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/adamw.cu and grad_norm.cu against the CPU backend and float64 sums.</summary>
public class OptimizerKernelTests
{
    const int N = 4099;

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ThreeAdamWStepsAreExactlyTheCpus(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] param = TestInputs.NonZero(80, N), m = TestInputs.NonZero(81, N, 0.01f), v = TestInputs.NonZero(82, N, 1e-4f).Select(Math.Abs).ToArray();
        using DeviceArray<float> dp = new(gpu, param), dm = new(gpu, m), dv = new(gpu, v), dg = new(gpu, N);
        Tensor tp = Cpu.Tensor(param, N), tm = Cpu.Tensor(m, N), tv = Cpu.Tensor(v, N);

        for (int step = 1; step <= 3; step++)
        {
            float[] grad = TestInputs.NonZero(83 + step, N, 0.1f);
            gpu.CopyToDevice<float>(grad, dg.Ptr);
            var args = new AdamWStepArgs(LearningRate: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: step);
            OptimizerKernels.AdamWStep(gpu, dp.Ptr, dg.Ptr, dm.Ptr, dv.Ptr, N, args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, step);
            Cpu.Backend.AdamWStep(tp, Cpu.Tensor(grad, N), tm, tv, args);
        }

        // Same float operations in the same order, each IEEE-rounded: the same bits.
        KernelAssert.BitEqual(tp.ToArray<float>(), dp.Read(), "param");
        KernelAssert.BitEqual(tm.ToArray<float>(), dm.Read(), "exp_avg");
        KernelAssert.BitEqual(tv.ToArray<float>(), dv.Read(), "exp_avg_sq");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void GradientNormAndClippingFactor(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] grad = TestInputs.NonZero(90, N, 0.5f);
        using DeviceArray<float> dg = new(gpu, grad), clip = new(gpu, 1);
        using DeviceArray<double> total = new(gpu, 1), workspace = new(gpu, (int)(OptimizerKernels.SumOfSquaresWorkspaceBytes(N) / sizeof(double)));
        const float maxNorm = 1f;

        OptimizerKernels.SumOfSquares(gpu, dg.Ptr, N, total.Ptr, workspace.Ptr, maxNorm, clip.Ptr);

        double expected = grad.Sum(g => (double)g * g);
        // Squares of floats are exact in double; N additions in double in another order: ≤ N·2⁻⁵³ relative.
        AssertClose.Scalar(expected, total.Read()[0], "Σ g²", relative: N * Math.Pow(2, -53));
        double factor = Math.Min(1, maxNorm / (Math.Sqrt(expected) + 1e-6));
        Assert.True(factor < 1, "the test's gradient must be clipped");
        AssertClose.Scalar(factor, clip.Read()[0], "clip factor", relative: TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void AdamWAppliesTheClipFactor(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] param = TestInputs.NonZero(91, N), grad = TestInputs.NonZero(92, N);
        const float scale = 0.37f;
        using DeviceArray<float> dp = new(gpu, param), dg = new(gpu, grad), dm = new(gpu, N, fill: 0), dv = new(gpu, N, fill: 0),
            dscale = new(gpu, [scale]);
        var args = new AdamWStepArgs(1e-3, 0.9, 0.999, 1e-8, 0.01, 1);

        OptimizerKernels.AdamWStep(gpu, dp.Ptr, dg.Ptr, dm.Ptr, dv.Ptr, N, args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, 1, dscale.Ptr);

        // The CPU step on gradients scaled beforehand (one float multiply each, as the kernel does).
        Tensor tp = Cpu.Tensor(param, N), tm = Cpu.Tensor(new float[N], N), tv = Cpu.Tensor(new float[N], N);
        Cpu.Backend.AdamWStep(tp, Cpu.Tensor(grad.Select(g => g * scale).ToArray(), N), tm, tv, args);
        KernelAssert.BitEqual(tp.ToArray<float>(), dp.Read(), "param");
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
