using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using CudaBert.Tests.Engine;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// <see cref="Ops.FusedAttention"/> on <see cref="CudaBackend"/> (forward, and the backward through autograd
/// with its scratch D buffer) against the same op on the CPU, and which backend prefers it for which head size.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class FusedAttentionPrimitiveTests(CudaTestDevice device)
{
    // fp32: the exact kernels; tf32 and bf16: the tensor-core kernels, chosen by the thread's precision scope,
    // within the bound widened by their operands' unit roundoff (2⁻¹¹, 2⁻⁸), and not the exact kernels' bits.
    [Theory]
    [InlineData("fp32")]
    [InlineData("tf32")]
    [InlineData("bf16")]
    public void TheOpAndItsGradientsMatchTheCpu(string precisionName)
    {
        Assert.True(MatmulPrecisionMode.TryParse(precisionName, out var precision));
        using var scope = Tensor.Scope();
        const int batch = 2, seq = 19, heads = 2, headSize = 32, width = heads * headSize;
        const double p = 0.1;
        double scale = 1 / Math.Sqrt(headSize);
        var mask = FusedAttentionTests.PaddingMask(batch, seq, DType.Float32);
        Tensor Leaf(int seed, Device on)
        {
            var t = Tensor.FromArray(NonZero(seed, batch * seq * width), [batch, seq, width], device: on);
            t.RequiresGrad = true;
            return t;
        }
        var (cq, ck, cv, cdy) = (Leaf(90, Device.Cpu), Leaf(91, Device.Cpu), Leaf(92, Device.Cpu), Leaf(93, Device.Cpu));
        var (gq, gk, gv, gdy) = (Leaf(90, Device.Cuda), Leaf(91, Device.Cuda), Leaf(92, Device.Cuda), Leaf(93, Device.Cuda));

        var (cpu, cpuGrads) = FusedAttentionTests.ForwardBackward(() => Ops.FusedAttention(cq, ck, cv, mask, heads, scale, p, 3, 17), cdy, cq, ck, cv);
        (float[], float[][]) OnTheGpu() => FusedAttentionTests.ForwardBackward(
            () => Ops.FusedAttention(gq, gk, gv, mask.To(Device.Cuda), heads, scale, p, 3, 17), gdy, gq, gk, gv);
        var (exact, _) = OnTheGpu();
        float[] gpu;
        float[][] gpuGrads;
        using (MatmulPrecisionMode.Use(precision)) (gpu, gpuGrads) = OnTheGpu();
        if (precision != MatmulPrecision.Fp32) Assert.False(exact.AsSpan().SequenceEqual(gpu), $"{precisionName}: the exact kernels ran");

        double operandUnit = precision switch { MatmulPrecision.Tf32 => 1.0 / (1 << 11), MatmulPrecision.Bf16 => 1.0 / (1 << 8), _ => 0 };
        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cdy, heads, scale, p, 3, 17, operandUnit);
        bound.AssertWithin(cpu, gpu, bound.Output, "output");
        bound.AssertWithin(cpuGrads[0], gpuGrads[0], bound.Dq, "dq");
        bound.AssertWithin(cpuGrads[1], gpuGrads[1], bound.Dk, "dk");
        bound.AssertWithin(cpuGrads[2], gpuGrads[2], bound.Dv, "dv");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void TheCudaBackendPrefersTheFusedOpWhereItHasKernelsAndTheCpuNever()
    {
        Assert.True(device.Backend.PrefersFusedAttention(DType.Float32, 64));
        Assert.True(device.Backend.PrefersFusedAttention(DType.Float32, 32));
        Assert.False(device.Backend.PrefersFusedAttention(DType.Float32, 8));
        Assert.False(device.Backend.PrefersFusedAttention(DType.Float64, 64));
        Assert.False(CpuBackend.Instance.PrefersFusedAttention(DType.Float32, 64));
    }

    [Fact]
    public void AHeadSizeWithoutKernelsIsRefusedByName()
    {
        using var scope = Tensor.Scope();
        var q = Tensor.Zeros([1, 3, 16], device: Device.Cuda);
        var error = Assert.Throws<NotSupportedException>(() => Ops.FusedAttention(q, q, q, null, 2, 1.0));
        Assert.Contains("FusedAttention is not supported: head size 8 of q [1, 3, 16] with 2 heads has no kernel", error.Message);
    }
}
