using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/sum.cu, cast.cu and fill against the CPU backend.</summary>
public class ReductionKernelTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void SumMatchesTheCpu(string device)
    {
        const int n = 5003;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(170, n, 3f);
        using DeviceArray<float> dx = new(gpu, x), total = new(gpu, 1);
        using DeviceArray<double> workspace = new(gpu, (int)(SumKernels.SumWorkspaceBytes(n) / sizeof(double)));

        SumKernels.Sum(gpu, dx.Ptr, n, total.Ptr, workspace.Ptr);

        var expected = Cpu.Empty(1);
        Cpu.Backend.Sum(Cpu.Tensor(x, n), expected);
        // Both add in double (orders differ by ≤ n·2⁻⁵³·Σ|x|) and round to float once (≤ u·|Σ|).
        double want = expected.ToArray<float>()[0], magnitude = x.Sum(v => Math.Abs((double)v));
        AssertClose.Scalar(want, total.Read()[0], "Σ x", absolute: 2 * TestInputs.U * Math.Abs(want) + n * Math.Pow(2, -53) * magnitude);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ConversionsAndFillAreExactlyTheCpus(string device)
    {
        const int n = 1001;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] floats = TestInputs.NonZero(171, n, 1000f);
        int[] ints = Enumerable.Range(0, n).Select(i => (i * 7919) % 20001 - 10000).ToArray();
        using DeviceArray<float> df = new(gpu, floats), toFloat = new(gpu, n), filled = new(gpu, n, fill: null);
        using DeviceArray<int> di = new(gpu, ints), toInt = new(gpu, n);

        CastKernels.Int32ToFloat32(gpu, di.Ptr, toFloat.Ptr, n);
        CastKernels.Float32ToInt32(gpu, df.Ptr, toInt.Ptr, n);
        ElementwiseKernels.Fill(gpu, filled.Ptr, -2.5f, n);   // fresh memory: fill must not read it

        var expectedFloats = Cpu.Empty(n);
        Cpu.Backend.Cast(Cpu.Tensor(ints, n), expectedFloats);
        KernelAssert.BitEqual(expectedFloats.ToArray<float>(), toFloat.Read(), "int32 → float32");
        var expectedInts = Tensor.Empty(new Shape(n), DType.Int32);
        Cpu.Backend.Cast(Cpu.Tensor(floats, n), expectedInts);
        Assert.Equal(expectedInts.ToArray<int>(), toInt.Read());
        Assert.All(filled.Read(), v => Assert.Equal(-2.5f, v));
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
