namespace CudaBert.Engine.Autograd;

/// <summary>
/// A node whose backward rule is a closure: the op that records it captures exactly what the rule
/// needs (inputs, its output, saved statistics, scalars), so each op's forward and backward read
/// side by side in one place.
/// </summary>
public sealed class BackwardFunction(string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward) : Node(name, inputs)
{
    /// <inheritdoc/>
    public override Tensor?[] Backward(Tensor gradOutput) => backward(gradOutput);
}
