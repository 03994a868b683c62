namespace CudaBert.Engine.Memory;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost scope, and disposes them
/// when it ends. Scopes nest and must end in reverse order (<c>using var scope = Tensor.Scope();</c>
/// guarantees it). A tensor leaves its scope with <see cref="Tensor.MoveToOuterScope"/> (to the
/// enclosing scope, or to the caller when there is none) or <see cref="Tensor.Keep"/> (to the
/// caller, who must dispose it).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;

    private readonly List<Tensor> owned = [];
    private bool ended;

    private TensorScope(TensorScope? outer) => Outer = outer;

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>The scope that was current when this one began.</summary>
    public TensorScope? Outer { get; }

    /// <summary>Number of tensors this scope will dispose (those moved out excluded).</summary>
    public int Count => owned.Count(t => t.Owner == this);

    internal static TensorScope Begin() => current = new TensorScope(current);

    internal void Adopt(Tensor tensor)
    {
        if (ended) throw new InvalidOperationException("the tensor scope has already ended");
        owned.Add(tensor);
    }

    /// <summary>
    /// Ends the scope: disposes every tensor it still owns and makes <see cref="Outer"/> current again.
    /// Throws <see cref="InvalidOperationException"/> if an inner scope is still open. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (ended) return;
        if (current != this)
            throw new InvalidOperationException("tensor scopes must end in reverse order of creation (an inner scope is still open)");
        ended = true;
        current = Outer;
        // A tensor moved out keeps a stale entry here; it is skipped because its owner changed.
        foreach (var tensor in owned)
            if (tensor.Owner == this) tensor.Dispose();
        owned.Clear();
    }
}
