using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.HalfPrecision;

/// <summary>
/// The bf16 linear layer on the CPU: its forward and all three gradients are the float32 layer's on the
/// bfloat16-rounded operands, bit for bit (the CPU's bf16 GEMM widens exactly and runs the fp32 one), and
/// the weight's bfloat16 copy follows the master weight through AdamW.
/// </summary>
public class MixedPrecisionLinearTests
{
    static Tensor RoundedToBFloat16(Tensor x) => x.To(DType.BFloat16).To(DType.Float32);

    [Fact]
    public void ForwardAndGradientsAreTheFloat32OnesOfTheRoundedOperands()
    {
        using var scope = Tensor.Scope();
        var generator = new Generator(3);
        var x = Tensor.Normal([2, 3, 7], generator);
        var weight = Tensor.Normal([5, 7], generator);
        var bias = Tensor.Normal([5], generator);
        // The upstream gradient is bfloat16-representable, so rounding it (as the backward does) changes nothing.
        var upstream = RoundedToBFloat16(Tensor.Normal([2, 3, 5], generator));
        foreach (var t in new[] { x, weight, bias }) t.RequiresGrad = true;

        var y = Ops.LinearBFloat16(x, weight, bias);
        Ops.Sum(y * upstream).Backward();

        var x32 = RoundedToBFloat16(x);
        var w32 = RoundedToBFloat16(weight);
        var b32 = bias.Clone();
        foreach (var t in new[] { x32, w32, b32 }) t.RequiresGrad = true;
        var expected = Ops.Linear(x32, w32, b32);
        Ops.Sum(expected * upstream).Backward();

        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
        Assert.Equal(x32.Grad!.ToArray<float>(), x.Grad!.ToArray<float>());
        Assert.Equal(w32.Grad!.ToArray<float>(), weight.Grad!.ToArray<float>());
        Assert.Equal(b32.Grad!.ToArray<float>(), bias.Grad!.ToArray<float>());
        // And it is not the fp32 layer: the operands really were rounded.
        Assert.NotEqual(Ops.Linear(x.Detach(), weight.Detach(), bias.Detach()).ToArray<float>(), y.ToArray<float>());
    }

    [Fact]
    public void LinearTakesBFloat16OperandsOnlyInsideABf16Scope()
    {
        using var scope = Tensor.Scope();
        var generator = new Generator(4);
        using var layer = new Linear(6, 4, generator);
        var x = Tensor.Normal([3, 6], generator);
        var fp32 = layer.Forward(x).ToArray<float>();
        Assert.Null(layer.Weight.BFloat16Copy);

        float[] bf16;
        using (MatmulPrecisionMode.Use(MatmulPrecision.Bf16))
        {
            Assert.False(Tf32Mode.IsAllowed);
            bf16 = layer.Forward(x).ToArray<float>();
        }
        Assert.Equal(MatmulPrecision.Fp32, MatmulPrecisionMode.Current);
        Assert.Equal(Ops.Linear(RoundedToBFloat16(x), RoundedToBFloat16(layer.Weight), layer.Bias).ToArray<float>(), bf16);
        Assert.NotEqual(fp32, bf16);
        Assert.Equal(fp32, layer.Forward(x).ToArray<float>());   // the scope ended: fp32 again
        using (MatmulPrecisionMode.Use(MatmulPrecision.Tf32)) Assert.True(Tf32Mode.IsAllowed);
        Assert.False(Tf32Mode.IsAllowed);
    }

    [Fact]
    public void AdamWRewritesTheBFloat16CopyAndCopyFromDropsIt()
    {
        using var scope = Tensor.Scope();
        var generator = new Generator(5);
        var weight = Tensor.Normal([4, 9], generator).Keep();
        weight.RequiresGrad = true;
        using (weight)
        using (var optimizer = new AdamW([weight], learningRate: 0.1, weightDecay: 0.01))
        {
            var before = weight.EnsureBFloat16Copy().ToArray<BFloat16>();
            for (int step = 0; step < 2; step++)
            {
                using (MatmulPrecisionMode.Use(MatmulPrecision.Bf16))
                    Ops.Sum(Ops.LinearBFloat16(Tensor.Normal([2, 9], generator), weight)).Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            var after = weight.BFloat16Copy!.ToArray<BFloat16>();
            Assert.NotEqual(before, after);
            Assert.Equal(weight.To(DType.BFloat16).ToArray<BFloat16>(), after);   // the updated master weight, rounded

            weight.CopyFrom(Tensor.Zeros([4, 9]));
            Assert.Null(weight.BFloat16Copy);   // stale after an outside write: dropped, remade on next use
            Assert.All(weight.EnsureBFloat16Copy().ToArray<BFloat16>(), v => Assert.Equal(0, v.Bits));
        }
    }
}
