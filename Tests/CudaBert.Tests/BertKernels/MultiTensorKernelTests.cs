using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/bert/multi_tensor_optimizer.cu: AdamW over several tensors in one launch against the CPU
/// backend's per-tensor step and the single-tensor kernel, and the global norm with clipping against
/// float64 sums. The sizes cross the kernels' chunk (4096) both ways, one tensor is empty.
/// </summary>
public class MultiTensorKernelTests
{
    static readonly int[] Sizes = [9000, 16, 0, 4096, 5000, 1];

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ThreeMultiTensorAdamWStepsAreExactlyTheCpusAndTheSingleTensorKernels(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        int count = Sizes.Length;
        // Per tensor: its own learning rate, decay and step count (a parameter unfrozen later has taken fewer steps).
        double[] learningRates = [2e-3, 5e-4, 1e-3, 1e-2, 2e-3, 3e-3];
        double[] decays = [0.01, 0, 0.01, 0.1, 0, 0.01];
        long[] firstSteps = [1, 1, 1, 4, 2, 1];
        var (multi, single) = (new List<DeviceArray<float>[]>(), new List<DeviceArray<float>[]>());
        var cpu = new List<Tensor[]>();
        for (int k = 0; k < count; k++)
        {
            int n = Sizes[k];
            float[] param = TestInputs.NonZero(100 + k, n), m = TestInputs.NonZero(110 + k, n, 0.01f),
                v = TestInputs.NonZero(120 + k, n, 1e-4f).Select(Math.Abs).ToArray();
            multi.Add([Upload(gpu, param), Upload(gpu, m), Upload(gpu, v), new(gpu, Math.Max(n, 1))]);
            single.Add([Upload(gpu, param), Upload(gpu, m), Upload(gpu, v), new(gpu, Math.Max(n, 1))]);
            cpu.Add([Cpu.Tensor(param, n), Cpu.Tensor(m, n), Cpu.Tensor(v, n)]);
        }
        using var table = new DeviceArray<byte>(gpu, (int)MultiTensorOptimizerKernels.AdamWWorkspaceBytes(count));

        for (int step = 0; step < 3; step++)
        {
            var tensors = new MultiTensorOptimizerKernels.AdamWTensor[count];
            for (int k = 0; k < count; k++)
            {
                int n = Sizes[k];
                float[] grad = TestInputs.NonZero(130 + 10 * step + k, n, 0.1f);
                gpu.CopyToDevice<float>(grad, multi[k][3].Ptr);
                gpu.CopyToDevice<float>(grad, single[k][3].Ptr);
                var args = new AdamWStepArgs(learningRates[k], 0.9, 0.999, 1e-8, decays[k], firstSteps[k] + step);
                tensors[k] = new(multi[k][0].Ptr, multi[k][3].Ptr, multi[k][1].Ptr, multi[k][2].Ptr, n,
                    args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, args.Step);
                if (n == 0) continue;
                OptimizerKernels.AdamWStep(gpu, single[k][0].Ptr, single[k][3].Ptr, single[k][1].Ptr, single[k][2].Ptr, n,
                    args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, args.Step);
                Cpu.Backend.AdamWStep(cpu[k][0], Cpu.Tensor(grad, n), cpu[k][1], cpu[k][2], args);
            }
            MultiTensorOptimizerKernels.AdamW(gpu, tensors, table.Ptr);
        }

        // The same float operations in the same order, each IEEE-rounded, with scalars rounded the same way: the same bits.
        for (int k = 0; k < count; k++)
        {
            if (Sizes[k] == 0) continue;
            string[] names = ["param", "exp_avg", "exp_avg_sq"];
            for (int j = 0; j < 3; j++)
            {
                KernelAssert.BitEqual(cpu[k][j].ToArray<float>(), multi[k][j].Read(), $"tensor {k} {names[j]} vs the CPU");
                KernelAssert.BitEqual(single[k][j].Read(), multi[k][j].Read(), $"tensor {k} {names[j]} vs adamw_step_f32");
            }
        }
        foreach (var arrays in multi.Concat(single)) foreach (var a in arrays) a.Dispose();
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void TheGlobalNormIsTheFloat64NormAndClippingScalesEveryTensorByItsFactor(string device)
    {
        using var gpu = TestDevices.Open(device);
        var grads = Sizes.Select((n, k) => TestInputs.NonZero(140 + k, n, 0.5f)).ToArray();
        var arrays = grads.Select(g => Upload(gpu, g)).ToArray();
        var pointers = arrays.Select(a => a.Ptr).ToArray();
        long[] sizes = Sizes.Select(n => (long)n).ToArray();
        using var norm = new DeviceArray<double>(gpu, 1);
        using var workspace = new DeviceArray<byte>(gpu, (int)MultiTensorOptimizerKernels.ClipGradNormWorkspaceBytes(sizes));
        double sumOfSquares = grads.SelectMany(g => g).Sum(g => (double)g * g);
        double expected = Math.Sqrt(sumOfSquares);
        int total = Sizes.Sum();

        // Large max norm: the norm only, every gradient left as it was.
        MultiTensorOptimizerKernels.ClipGradNorm(gpu, pointers, sizes, double.PositiveInfinity, norm.Ptr, workspace.Ptr);
        // Squares of floats are exact in double; the sum in another order: ≤ total·2⁻⁵³ relative, and the root halves it.
        AssertClose.Scalar(expected, norm.Read()[0], "‖g‖", relative: total * Math.Pow(2, -53));
        for (int k = 0; k < Sizes.Length; k++)
            if (Sizes[k] > 0) KernelAssert.BitEqual(grads[k], arrays[k].Read(), $"tensor {k} without clipping");

        const double maxNorm = 1.0;
        MultiTensorOptimizerKernels.ClipGradNorm(gpu, pointers, sizes, maxNorm, norm.Ptr, workspace.Ptr);
        double factor = maxNorm / (expected + 1e-6);
        Assert.True(factor < 1, "the test's gradients must be clipped");
        AssertClose.Scalar(expected, norm.Read()[0], "‖g‖ before clipping", relative: total * Math.Pow(2, -53));
        for (int k = 0; k < Sizes.Length; k++)
        {
            if (Sizes[k] == 0) continue;
            // One float multiply by the factor rounded to float (which may differ from the reference's by one rounding): ≤ 2u.
            var want = grads[k].Select(g => g * (float)factor).ToArray();
            AssertClose.Elementwise(want, arrays[k].Read(), $"tensor {k} clipped", relative: 2 * TestInputs.U);
        }
        foreach (var a in arrays) a.Dispose();
        KernelAssert.NoSanitizerFindings(gpu);
    }

    /// <summary>The values on the device; an empty tensor gets one element of memory (a device allocation cannot be empty), which the kernels must not touch.</summary>
    static DeviceArray<float> Upload(ICudaDevice gpu, float[] values) => new(gpu, values.Length == 0 ? [0f] : values);
}
