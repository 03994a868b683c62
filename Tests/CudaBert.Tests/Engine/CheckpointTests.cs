using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Tests.BertKernels;

namespace CudaBert.Tests.Engine;

/// <summary><see cref="Ops.Checkpoint"/> on a small block: the gradients and random streams of the plain call, and its documented edges.</summary>
public class CheckpointTests
{
    /// <summary>GELU(dropout(x·Wᵀ + b)): parameters and a random stream, the two things a checkpoint must get right.</summary>
    sealed class Block : Module
    {
        public Block(int width, ulong seed)
        {
            Dense = RegisterModule("dense", new Linear(width, width, new Generator(seed)));
            Dropout = RegisterModule("dropout", new Dropout(0.25, seed + 1));
        }

        public Linear Dense { get; }
        public Dropout Dropout { get; }

        public Tensor Forward(Tensor x) => Ops.Gelu(Dropout.Forward(Dense.Forward(x)));
    }

    const int Width = 6;

    static Tensor Input() => Tensor.FromArray([.. Enumerable.Range(0, 4 * Width).Select(i => MathF.Sin(i * 0.7f))], [4, Width], requiresGrad: true);

    /// <summary>
    /// The block applied twice to its own output (shared weights, as ALBERT shares its layers), for two steps: the
    /// loss, the input's and the parameters' gradients, and the dropout offset after each step. Applied twice,
    /// each backward finds the stream past both forwards, so it must be put back there after recomputing.
    /// </summary>
    /// <param name="checkpointed">0: plain; 1: each application checkpointed; 2: each checkpointed inside a checkpoint of its own (the outer one's recomputation records the inner one, whose backward recomputes again).</param>
    static List<(string What, float[] Values)> Run(int checkpointed)
    {
        using var block = new Block(Width, seed: 3);
        using var scope = Tensor.Scope();
        var x = Input();
        Tensor Once(Tensor h) => Ops.Checkpoint(block, inputs => block.Forward(inputs[0]), h);
        Tensor Apply(Tensor h) => checkpointed switch
        {
            0 => block.Forward(h),
            1 => Once(h),
            _ => Ops.Checkpoint(block, inputs => Once(inputs[0]), h),
        };
        var recorded = new List<(string, float[])>();
        for (int step = 1; step <= 2; step++)
        {
            x.ZeroGrad();
            foreach (var p in block.Parameters()) p.ZeroGrad();
            var loss = Ops.Sum(Ops.Mul(Apply(Apply(x)), x));
            loss.Backward();
            recorded.Add(($"loss at step {step}", loss.ToArray<float>()));
            recorded.Add(($"input gradient at step {step}", x.Grad!.ToArray<float>()));
            foreach (var (name, p) in block.NamedParameters()) recorded.Add(($"gradient of {name} at step {step}", p.Grad!.ToArray<float>()));
            recorded.Add(($"dropout offset after step {step}", [(float)block.Dropout.Offset]));
        }
        return recorded;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ABlockAppliedTwiceGetsThePlainGradientsAndStreams(int depth)
    {
        var plain = Run(checkpointed: 0);
        var checkpointed = Run(checkpointed: depth);
        Assert.Equal(plain.Count, checkpointed.Count);
        for (int i = 0; i < plain.Count; i++) KernelAssert.BitEqual(plain[i].Values, checkpointed[i].Values, plain[i].What);
    }

    [Fact]
    public void EnableTurnsRecordingOnInsideNoGradUntilDisposed()
    {
        using (GradMode.NoGrad())
        {
            var enabled = GradMode.Enable();
            Assert.True(GradMode.IsEnabled);
            using (GradMode.NoGrad()) Assert.False(GradMode.IsEnabled);
            Assert.True(GradMode.IsEnabled);
            enabled.Dispose();
            Assert.False(GradMode.IsEnabled);
            enabled.Dispose();
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void TheForwardKeepsNoActivationsAndTheNodeListsInputAndParameters()
    {
        using var block = new Block(Width, seed: 3);
        using var scope = Tensor.Scope();
        var x = Input();
        int before = scope.Count;
        var y = Ops.Checkpoint(block, inputs => block.Forward(inputs[0]), x);
        Assert.Equal(before + 1, scope.Count);   // the result only: the linear's output and the dropout's are gone
        Assert.True(y.RequiresGrad);
        Assert.Equal("checkpoint(Block)", y.GradFn!.Name);
        Assert.Equal([x, block.Dense.Weight, block.Dense.Bias!], y.GradFn.Inputs);
    }

    [Fact]
    public void WithoutRecordingItIsThePlainCall()
    {
        using var block = new Block(Width, seed: 3);
        using var scope = Tensor.Scope();
        var x = Input();
        using (GradMode.NoGrad())
        {
            var y = Ops.Checkpoint(block, inputs => block.Forward(inputs[0]), x);
            Assert.Null(y.GradFn);
            Assert.False(y.RequiresGrad);
        }
        Assert.Equal((ulong)x.NumElements, block.Dropout.Offset);   // drawn once

        block.Freeze();
        var frozen = Ops.Checkpoint(block, inputs => block.Forward(inputs[0]), x.Detach());
        Assert.Null(frozen.GradFn);
    }

    [Fact]
    public void AFrozenBlockPassesTheInputGradientOnly()
    {
        using var block = new Block(Width, seed: 3);
        block.Freeze();
        using var scope = Tensor.Scope();
        var x = Input();
        var y = Ops.Checkpoint(block, inputs => block.Forward(inputs[0]), x);
        Assert.Equal([x], y.GradFn!.Inputs);
        Ops.Sum(y).Backward();
        Assert.NotNull(x.Grad);
        Assert.All(block.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ATensorNeedingAGradientOutsideTheBlockIsAnError()
    {
        using var block = new Block(Width, seed: 3);
        using var scope = Tensor.Scope();
        var x = Input();
        var outside = Tensor.FromArray(new float[4 * Width], [4, Width], requiresGrad: true);
        var y = Ops.Checkpoint(block, inputs => Ops.Add(block.Forward(inputs[0]), outside), x);
        var error = Assert.Throws<InvalidOperationException>(() => Ops.Sum(y).Backward());
        Assert.Contains("not one of its 3 declared inputs and parameters", error.Message);
    }

    [Fact]
    public void AFunctionReturningItsInputIsAnError()
    {
        using var block = new Block(Width, seed: 3);
        using var scope = Tensor.Scope();
        var kept = Input();
        var error = Assert.Throws<InvalidOperationException>(() => Ops.Checkpoint(block, _ => kept, Input()));
        Assert.Contains("did not make", error.Message);
    }
}
