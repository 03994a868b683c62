using CudaBert.Engine.Autograd;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;

namespace CudaBert.Engine;

// Activation (gradient) checkpointing: a block keeps only its inputs; its backward runs it again.
public static partial class Ops
{
    /// <summary>
    /// <paramref name="function"/>(<paramref name="inputs"/>) — a forward of <paramref name="block"/> — with none of its
    /// activations kept (PyTorch's <c>torch.utils.checkpoint</c>, Hugging Face's gradient checkpointing).
    /// <list type="number">
    /// <item>Forward: the function runs with recording off, so its intermediates are freed as it goes; the result
    /// becomes one node over the inputs and the block's parameters that require a gradient, and keeps only the
    /// inputs alive.</item>
    /// <item>Backward: the node runs the function again with recording on, on detached views of the inputs (same
    /// storage, requiring a gradient as the originals do), under the matmul precision of the first forward, and
    /// back-propagates its incoming gradient through that recomputed graph. It returns the gradients of the inputs
    /// and of the parameters; the enclosing backward pass adds the parameters' ones to their
    /// <see cref="Tensor.Grad"/> exactly once, as for any op. The recomputed graph is freed when the node returns:
    /// the pass holds one block's activations at a time.</item>
    /// <item>Randomness: every <see cref="Dropout"/> inside the block is set back to the offset the first forward
    /// started from, so the recomputation draws the same masks (fused ops that take a dropout layer's seed and
    /// offset included), and afterwards put back where the backward found it. A function must draw its random
    /// numbers from its block's dropout layers only.</item>
    /// </list>
    /// Where nothing would be recorded — under <see cref="GradMode.NoGrad"/>, or when neither an input nor a
    /// parameter of the block requires a gradient (a frozen block on a frozen input) — this is the plain call
    /// <c>function(inputs)</c>: there is no backward to recompute for. Otherwise the result requires a gradient;
    /// if the recomputed result turns out not to depend on anything that does, the node passes no gradient on.
    /// Tensors the function reads besides its inputs (an attention mask) must need no gradient, and must keep their
    /// values until the backward; the function must return a tensor it made (not one it was given or kept).
    /// </summary>
    /// <param name="block">The module the function runs: its parameters are the node's other inputs, its dropout layers the streams to replay.</param>
    /// <param name="function">The block's forward on its inputs; it is called twice per training step.</param>
    /// <param name="inputs">The block's tensor inputs, kept for the backward.</param>
    public static Tensor Checkpoint(Module block, Func<Tensor[], Tensor> function, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(function);
        string name = $"checkpoint({block.GetType().Name})";
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].IsDisposed) throw new ObjectDisposedException($"{name}: input {i} {inputs[i].Shape} was disposed");
        Tensor[] parameters = [.. block.Parameters().Where(p => p.RequiresGrad)];
        Tensor?[] recorded = [.. inputs, .. parameters];
        if (!ShouldRecord(recorded)) return function(inputs);

        Dropout[] streams = [.. block.Modules().OfType<Dropout>()];
        ulong[] startOffsets = [.. streams.Select(d => d.Offset)];
        var precision = MatmulPrecisionMode.Current;
        bool tf32 = Tf32Mode.IsAllowed;
        Tensor output;
        using (GradMode.NoGrad())
        using (var scope = Tensor.Scope())
        {
            output = function([.. inputs.Select(x => x.Detach())]);
            if (output.Owner != scope)
                throw new InvalidOperationException($"{name}: the function returned a tensor {output.Shape} it did not make (an input or a kept tensor); it must compute its result");
            output.MoveToOuterScope();
        }
        ulong[] endOffsets = [.. streams.Select(d => d.Offset)];

        return Record(output, name, recorded, gradOutput =>
        {
            ulong[] foundOffsets = [.. streams.Select(d => d.Offset)];
            try
            {
                for (int i = 0; i < streams.Length; i++) streams[i].Offset = startOffsets[i];
                using var recording = GradMode.Enable();
                using var matmuls = MatmulPrecisionMode.Use(precision);
                using var tensorCores = Tf32Mode.Allow(tf32);
                var leaves = inputs.Select(x =>
                {
                    var leaf = x.Detach();
                    leaf.RequiresGrad = x.RequiresGrad;
                    return leaf;
                }).ToArray();
                var again = function(leaves);
                for (int i = 0; i < streams.Length; i++)
                    if (streams[i].Offset != endOffsets[i])
                        throw new InvalidOperationException($"{name}: the recomputation moved dropout stream {i} to offset {streams[i].Offset}, the first forward to {endOffsets[i]}: the function draws differently each call");
                if (again.Shape != output.Shape)
                    throw new InvalidOperationException($"{name}: the recomputation returned {again.Shape}, the first forward {output.Shape}");
                if (!again.RequiresGrad) return new Tensor?[recorded.Length];
                return BackwardPass.LeafGradients(again, gradOutput, [.. leaves, .. parameters]);
            }
            finally
            {
                for (int i = 0; i < streams.Length; i++) streams[i].Offset = foundOffsets[i];
            }
        });
    }
}
