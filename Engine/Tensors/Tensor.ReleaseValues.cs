namespace CudaBert.Engine;

// Freeing a forward intermediate before its scope ends.
public sealed partial class Tensor
{
    /// <summary>
    /// Drops this tensor's reference to its storage now, while it stays a node of the autograd graph
    /// (shape, dtype, the op that made it): for an intermediate the forward pass will not read again
    /// and whose values no backward rule reads (a permute's input, the scores under a softmax, the
    /// input of a dropout). The backward pass still routes gradients through it. The storage is freed
    /// with its last view; reading this tensor afterwards throws <see cref="ObjectDisposedException"/>,
    /// so releasing a tensor a backward rule does read fails loudly in <c>Backward()</c>. The scope
    /// still disposes the tensor itself. Idempotent.
    /// </summary>
    public void ReleaseValues()
    {
        if (disposed || valuesReleased) return;
        valuesReleased = true;
        storage.Release();
    }

    /// <summary>True after <see cref="ReleaseValues"/>: the tensor has a shape and a place in the graph, but no values.</summary>
    public bool ValuesReleased => valuesReleased;
}
