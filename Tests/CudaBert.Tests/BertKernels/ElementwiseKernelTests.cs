using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/elementwise.cu and activations.cu against the CPU backend.</summary>
public class ElementwiseKernelTests
{
    // More float4 vectors than the software GPU's grid-stride grid has threads (16 blocks × 256), and a
    // tail: 17003 = 4·4250 + 3.
    const int N = 17003;

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ArithmeticIsExactlyTheCpus(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] a = TestInputs.NonZero(1, N, 3f), b = TestInputs.NonZero(2, N, 3f);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dy = new(gpu, N);
        var ta = Cpu.Tensor(a, N);
        var tb = Cpu.Tensor(b, N);
        var ty = Cpu.Empty(N);

        // One rounding per element on both sides: the results must be the same bits.
        ElementwiseKernels.Add(gpu, da.Ptr, db.Ptr, dy.Ptr, N);
        Cpu.Backend.Add(ta, tb, ty);
        KernelAssert.BitEqual(ty.ToArray<float>(), dy.Read(), "add");

        ElementwiseKernels.Sub(gpu, da.Ptr, db.Ptr, dy.Ptr, N);
        Cpu.Backend.Sub(ta, tb, ty);
        KernelAssert.BitEqual(ty.ToArray<float>(), dy.Read(), "sub");

        ElementwiseKernels.Mul(gpu, da.Ptr, db.Ptr, dy.Ptr, N);
        Cpu.Backend.Mul(ta, tb, ty);
        KernelAssert.BitEqual(ty.ToArray<float>(), dy.Read(), "mul");

        ElementwiseKernels.Scale(gpu, da.Ptr, -0.37f, dy.Ptr, N);
        Cpu.Backend.Scale(ta, -0.37f, ty);
        KernelAssert.BitEqual(ty.ToArray<float>(), dy.Read(), "scale");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void UnalignedBuffersTakeTheScalarPath(string device)
    {
        const int n = 1001;
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(7, n + 1), b = TestInputs.NonZero(8, n);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dy = new(gpu, n);

        // a + 1 element: 4 bytes past a 16-byte boundary, so no float4 access is allowed.
        ElementwiseKernels.Add(gpu, da.Ptr.Offset(sizeof(float)), db.Ptr, dy.Ptr, n);

        KernelAssert.BitEqual(Enumerable.Range(0, n).Select(i => a[i + 1] + b[i]).ToArray(), dy.Read(), "y");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void AddScaledInPlaceRoundsOnce(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] y = TestInputs.NonZero(3, N, 2f), x = TestInputs.NonZero(4, N, 2f);
        using DeviceArray<float> dy = new(gpu, y), dx = new(gpu, x);

        ElementwiseKernels.AddScaledInPlace(gpu, dy.Ptr, 0.7f, dx.Ptr, N);

        // Reference: the exact y + 0.7f·x rounded once (double holds the product and sum of two floats exactly
        // enough: the FMA result is the float nearest to it). The CPU's MultiplyAdd may round twice, so it is
        // not the referee of the last bit here.
        var expected = new float[N];
        for (int i = 0; i < N; i++) expected[i] = (float)((double)x[i] * 0.7f + y[i]);
        AssertClose.Elementwise(expected, dy.Read(), "y += 0.7x", relative: 2 * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void GeluAndTanhMatchTheCpu(string device)
    {
        const int n = 1531;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(5, n, 5f), upstream = TestInputs.NonZero(6, n, 1f);
        using DeviceArray<float> dx = new(gpu, x), dup = new(gpu, upstream), dout = new(gpu, n), dgrad = new(gpu, n);
        var tx = Cpu.Tensor(x, n);
        var tup = Cpu.Tensor(upstream, n);
        var tout = Cpu.Empty(n);
        var tgrad = Cpu.Empty(n);

        // The CPU evaluates in double and rounds once; erff/expf/tanhf are within 2 ulp, and the few float
        // operations around them add a few more: allowed 8 u relative plus 1e-7 absolute where the
        // derivative passes through zero (cancellation in Φ(x) + x·φ(x)).
        // GELU's own tail cancels too: for x ≪ 0, 1 + erf(x/√2) is tiny while erff's 2 ulp stay those of
        // |erf| ≈ 1 (2 · 2⁻²⁴), so y = x·½(1 + erf) may be off by |x| · 2⁻²⁴ ≤ 3e-7 for |x| ≤ 5.
        ActivationKernels.GeluForward(gpu, dx.Ptr, dout.Ptr, n);
        Cpu.Backend.Gelu(tx, tout);
        AssertClose.Elementwise(tout.ToArray<float>(), dout.Read(), "gelu", absolute: 3e-7, relative: 8 * TestInputs.U);

        ActivationKernels.GeluBackward(gpu, dx.Ptr, dup.Ptr, dgrad.Ptr, n);
        Cpu.Backend.GeluBackward(tx, tup, tgrad);
        AssertClose.Elementwise(tgrad.ToArray<float>(), dgrad.Read(), "gelu backward", absolute: 1e-7, relative: 8 * TestInputs.U);

        ActivationKernels.TanhForward(gpu, dx.Ptr, dout.Ptr, n);
        Cpu.Backend.Tanh(tx, tout);
        AssertClose.Elementwise(tout.ToArray<float>(), dout.Read(), "tanh", absolute: 1e-7, relative: 8 * TestInputs.U);

        // Backward from the forward output y (the same y on both sides): 1 − y² cancels near |y| = 1.
        float[] y = tout.ToArray<float>();
        using DeviceArray<float> dyForward = new(gpu, y);
        ActivationKernels.TanhBackward(gpu, dyForward.Ptr, dup.Ptr, dgrad.Ptr, n);
        Cpu.Backend.TanhBackward(tout, tup, tgrad);
        AssertClose.Elementwise(tgrad.ToArray<float>(), dgrad.Read(), "tanh backward", absolute: 1e-7, relative: 4 * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
