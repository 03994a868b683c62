using CudaBert.Engine.Backends;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Fused attention: Kernels/bert/flash_attention.cu (one forward launch; the backward is a dQ pass and a dK/dV pass),
// or its tensor-core twin Kernels/bert/flash_attention_mma.cu where the thread's precision is tf32 or bf16; in bf16 on
// compute capability 9.x, opted in (HopperGemmKernels.OptInVariable), Kernels/hopper/flash_attention_wgmma.cu and
// flash_attention_wgmma_backward.cu (FlashAttentionKernels.Dispatch and DispatchBackward).
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse)
    {
        const string primitive = nameof(FusedAttention);
        RequireFloat32(primitive, q, k, v, mask, output, lse);
        if (q.NumElements == 0) return;
        FlashAttentionKernels.Dispatch(Gpu, Ptr(q, primitive), Ptr(k, primitive), Ptr(v, primitive), PtrOrNull(mask, primitive),
            Ptr(output, primitive), Ptr(lse, primitive), AttentionShapeShifted(primitive, q, k, heads, scale, p, seed, offset),
            precision: AttentionPrecision(q, k, v, output));
    }

    /// <inheritdoc/>
    public void FusedAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse, Tensor doutput, Tensor dq, Tensor dk, Tensor dv)
    {
        const string primitive = nameof(FusedAttentionBackward);
        RequireFloat32(primitive, q, k, v, mask, output, lse, doutput, dq, dk, dv);
        if (q.NumElements == 0) { Fill(dk, 0); Fill(dv, 0); return; }   // no queries: nothing flows into the keys
        using var delta = Scratch(lse.ByteLength);
        FlashAttentionKernels.DispatchBackward(Gpu, Ptr(q, primitive), Ptr(k, primitive), Ptr(v, primitive), PtrOrNull(mask, primitive),
            Ptr(output, primitive), Ptr(lse, primitive), Ptr(doutput, primitive), delta.Pointer,
            Ptr(dq, primitive), Ptr(dk, primitive), Ptr(dv, primitive), AttentionShapeShifted(primitive, q, k, heads, scale, p, seed, offset),
            precision: AttentionPrecision(q, k, v, output, doutput, dq, dk, dv));
    }

    /// <summary>
    /// Tensor cores where this thread's mode asks for them and the tensors meet their alignment: bf16 operands in a
    /// <see cref="MatmulPrecision.Bf16"/> scope, TF32 where <see cref="Tf32Mode"/> allows it (as for <see cref="Gemm"/>);
    /// else the exact fp32 kernels.
    /// </summary>
    FlashAttentionKernels.Precision AttentionPrecision(params ReadOnlySpan<Tensor> tensors)
    {
        var wanted = MatmulPrecisionMode.IsBFloat16 ? FlashAttentionKernels.Precision.Bf16
            : Tf32Mode.IsAllowed ? FlashAttentionKernels.Precision.Tf32 : FlashAttentionKernels.Precision.Fp32;
        if (wanted == FlashAttentionKernels.Precision.Fp32) return wanted;
        Span<DevicePtr> pointers = stackalloc DevicePtr[tensors.Length];
        for (int i = 0; i < tensors.Length; i++) pointers[i] = Ptr(tensors[i], nameof(FusedAttention));
        return FlashAttentionKernels.TensorCoreAligned(pointers) ? wanted : FlashAttentionKernels.Precision.Fp32;
    }

    /// <summary>
    /// float32 and a head size with a kernel (Kernels/bert/flash_attention.cu): there one launch replaces the
    /// separate forward's eight (three head splits, two GEMMs, softmax, dropout, a merge) and two the backward's
    /// ten, and the probabilities never make a round trip through memory.
    /// </summary>
    public bool PrefersFusedAttention(DType dtype, int headSize) => dtype == DType.Float32 && FlashAttentionKernels.Supports(headSize);

    static FlashAttentionKernels.Shape AttentionShape(string primitive, Tensor q, Tensor k, int heads, double scale, double p, ulong seed, ulong offset)
    {
        int headSize = q.Shape[2] / heads;
        if (!FlashAttentionKernels.Supports(headSize))
            throw NoKernel(primitive, $"head size {headSize} of q {q.Shape} with {heads} heads has no kernel (sizes: {string.Join(", ", FlashAttentionKernels.HeadSizes)})");
        return new(q.Shape[0], heads, q.Shape[1], k.Shape[1], headSize, (float)scale, p, seed, offset);
    }

    /// <summary><see cref="AttentionShape"/> with the dropout stream's shift inside a captured graph (see <see cref="DropoutShift"/>).</summary>
    FlashAttentionKernels.Shape AttentionShapeShifted(string primitive, Tensor q, Tensor k, int heads, double scale, double p, ulong seed, ulong offset)
    {
        var shape = AttentionShape(primitive, q, k, heads, scale, p, seed, offset);
        return p > 0 ? shape with { OffsetShift = DropoutShift(seed) } : shape;
    }
}
