using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Embedding lookup and its backward, masked mean pooling: Kernels/bert/embedding.cu, mean_pool.cu.
public sealed partial class CudaBackend
{
    /// <summary>The smallest bad-id position of the lookups since the last check (int.MaxValue: none), one int32 on the device.</summary>
    DevicePtr lookupFlag;
    /// <summary>A gather ran since the flag was last read.</summary>
    bool lookupsUnchecked;

    /// <summary>
    /// The gather kernel skips an id outside the table and records the first such position in a flag
    /// that stays on the device: reading it here would make every lookup wait for the GPU. A bad id is
    /// reported at the next read from the device instead (any <see cref="CopyToHost"/>: the first
    /// moment the host could see a result), by an <see cref="IndexOutOfRangeException"/>, as CUDA itself
    /// reports a kernel's errors. Ids made by a tokenizer whose vocabulary fits the table are always in
    /// range (the trainer checks that once: <c>BatchCollator.EnsureIdsFit</c>); the flag is the safety net.
    /// </summary>
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y)
    {
        const string primitive = nameof(EmbeddingGather);
        RequireFloat32(primitive, table, y);
        RequireInt32(primitive, ids);
        if (ids.NumElements == 0) return;
        int vocab = table.Shape[0], dim = table.Shape.Last, n = Rows32(ids.NumElements, primitive);
        EmbeddingKernels.Gather(Gpu, Ptr(table, primitive), Ptr(ids, primitive), Ptr(y, primitive), n, vocab, dim, LookupFlag());
        lookupsUnchecked = true;
    }

    /// <summary>The flag, made on first use straight from the device (not the caching allocator: it lives as long as the device) and cleared.</summary>
    DevicePtr LookupFlag()
    {
        if (lookupFlag.IsNull)
        {
            lookupFlag = Gpu.Allocate(sizeof(int));
            Gpu.CopyToDevice<int>([int.MaxValue], lookupFlag);
        }
        return lookupFlag;
    }

    /// <summary>Reads the lookup flag when a gather ran since the last read; a recorded position is reported once, and the flag cleared.</summary>
    void ThrowIfALookupFailed()
    {
        if (!lookupsUnchecked) return;
        lookupsUnchecked = false;
        Span<int> position = stackalloc int[1];
        CountedCopyToHost(lookupFlag, position);
        if (position[0] == int.MaxValue) return;
        Gpu.CopyToDevice<int>([int.MaxValue], lookupFlag);
        throw new IndexOutOfRangeException(
            $"embedding: an id at position {position[0]} of a lookup queued since the last read from the CUDA device is outside its table " +
            "(its output row was left unwritten)");
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
