using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Embedding lookup and its backward, masked mean pooling: Kernels/bert/embedding.cu, mean_pool.cu.
public sealed partial class CudaBackend
{
    /// <summary>
    /// The gather kernel skips an id outside the table and records the first such position; it is
    /// read back (one small synchronizing copy) so a bad id throws here, as on the CPU.
    /// </summary>
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y)
    {
        const string primitive = nameof(EmbeddingGather);
        RequireFloat32(primitive, table, y);
        RequireInt32(primitive, ids);
        if (ids.NumElements == 0) return;
        int vocab = table.Shape[0], dim = table.Shape.Last, n = Rows32(ids.NumElements, primitive);
        using var badPosition = Scratch(sizeof(int));
        Gpu.CopyToDevice<int>([int.MaxValue], badPosition.Pointer);
        EmbeddingKernels.Gather(Gpu, Ptr(table, primitive), Ptr(ids, primitive), Ptr(y, primitive), n, vocab, dim, badPosition.Pointer);
        int position = Read<int>(badPosition.Pointer);
        if (position != int.MaxValue)
        {
            int id = Read<int>(Ptr(ids).Offset((long)position * sizeof(int)));
            throw new IndexOutOfRangeException($"embedding: id {id} at position {position} is outside the table of {vocab} rows");
        }
    }

    /// <summary>Deterministic, no atomics: each row of the table is summed by one block in position order (bit-identical to the CPU).</summary>
    public void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable)
    {
        const string primitive = nameof(EmbeddingScatterAdd);
        RequireFloat32(primitive, dy, dtable);
        RequireInt32(primitive, ids);
        if (ids.NumElements == 0) return;
        EmbeddingKernels.Backward(Gpu, Ptr(dy, primitive), Ptr(ids, primitive), Ptr(dtable, primitive),
            Rows32(ids.NumElements, primitive), dtable.Shape[0], dtable.Shape.Last);
    }

    /// <inheritdoc/>
    public void MaskedMeanPool(Tensor h, Tensor mask, double eps, Tensor y)
    {
        const string primitive = nameof(MaskedMeanPool);
        RequireFloat32(primitive, h, mask, y);
        if (h.NumElements == 0) return;
        MeanPoolKernels.Forward(Gpu, Ptr(h, primitive), Ptr(mask, primitive), Ptr(y, primitive), h.Shape[0], h.Shape[1], h.Shape[2], (float)eps);
    }

    /// <inheritdoc/>
    public void MaskedMeanPoolBackward(Tensor dy, Tensor mask, double eps, Tensor dh)
    {
        const string primitive = nameof(MaskedMeanPoolBackward);
        RequireFloat32(primitive, dy, mask, dh);
        if (dh.NumElements == 0) return;
        MeanPoolKernels.Backward(Gpu, Ptr(dy, primitive), Ptr(mask, primitive), Ptr(dh, primitive), dh.Shape[0], dh.Shape[1], dh.Shape[2], (float)eps);
    }
}
