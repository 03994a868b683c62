namespace CudaBert.Engine.Autograd;

/// <summary>
/// One recorded operation of the autograd graph: it remembers its inputs and whatever its
/// backward rule needs (saved tensors, scalars), and turns the gradient of its output into
/// gradients of its inputs (the vector–Jacobian product).
/// </summary>
public abstract class Node(string name, params Tensor?[] inputs)
{
    /// <summary>The op's name, for error messages and graph dumps.</summary>
    public string Name { get; } = name;

    /// <summary>The op's tensor inputs (null for absent optional ones, e.g. no bias).</summary>
    public IReadOnlyList<Tensor?> Inputs { get; } = inputs;

    /// <summary>
    /// Given ∂L/∂output, returns ∂L/∂input for each input, in the order of <see cref="Inputs"/>;
    /// null where an input needs no gradient. A returned tensor may be <paramref name="gradOutput"/>
    /// itself or a view of it; the backward pass never modifies returned gradients in place.
    /// </summary>
    public abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>Whether input <paramref name="index"/> wants a gradient.</summary>
    protected bool Needs(int index) => Inputs[index]?.RequiresGrad == true;
}
