using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's fused attention, Kernels/hopper/flash_attention_wgmma.cu (forward) and flash_attention_wgmma_backward.cu
/// (backward): what <see cref="FlashAttentionKernels"/>' bf16 kernels compute (out and lse; dQ, dK, dV; padding mask,
/// dropout from the same Philox positions), with every matrix product on warpgroup <c>wgmma.mma_async</c>: Q, K, V and
/// dO rounded to bfloat16 into swizzled shared memory, P and dS fed from registers. The backward reads the out and lse
/// of either bf16 forward, and either bf16 backward reads this forward's. The PTX targets sm_90a, so it runs on compute
/// capability 9.x only; <see cref="FlashAttentionKernels.Dispatch"/> and <see cref="FlashAttentionKernels.DispatchBackward"/>
/// take it for bf16 there only when <see cref="HopperGemmKernels.OptInVariable"/> is 1 (<see cref="Chosen"/>), as the
/// wgmma GEMMs, for the same reason: until its tests have passed on a Hopper GPU, the mma.sync kernels stay the default.
/// Launch: forward grid (⌈Sq/64⌉, B·H) of 128 threads (one warpgroup per 64 query rows), 45,568 bytes of static shared
/// memory for head size 64 (25,088 for 32); backward as <see cref="FlashAttentionKernels.Backward"/>'s grids (dQ pass
/// per 64 queries, then dK/dV per 64 keys) of 128 threads, 5,120 bytes static and <see cref="BackwardSharedBytes"/>
/// dynamic. Tensors as <see cref="FlashAttentionKernels"/>, 16-byte aligned.
/// </summary>
public static class HopperFlashAttentionKernels
{
    const int RowsPerBlock = 64, Threads = 128;

    /// <summary>Whether <paramref name="device"/> runs the kernel (compute capability 9.x).</summary>
    public static bool Supports(DeviceInfo device) => device.ComputeCapabilityMajor == 9;

    /// <summary>Whether <see cref="FlashAttentionKernels.Dispatch"/> takes this kernel for bf16: <see cref="HopperGemmKernels.OptedIn"/> and <see cref="Supports"/>.</summary>
    public static bool Chosen(DeviceInfo device) => Supports(device) && HopperGemmKernels.OptedIn;

    /// <summary>The kernel's name for head size <paramref name="headSize"/>.</summary>
    public static string KernelName(int headSize) => $"flash_attention_forward_d{headSize}_wgmma_bf16";

    /// <summary>out and lse from q, k, v (and the mask, or <see cref="DevicePtr.Null"/>), as <see cref="FlashAttentionKernels.Forward"/> in bf16.</summary>
    public static void Forward(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        FlashAttentionKernels.Shape shape, CudaStream? stream = null)
    {
        FlashAttentionKernels.Check(shape, "forward");
        string kernel = KernelName(shape.HeadSize);
        foreach (var pointer in (ReadOnlySpan<DevicePtr>)[q, k, v, output, lse]) Launcher.NotNull(pointer, kernel);
        FlashAttentionKernels.CheckAligned(kernel, FlashAttentionKernels.Precision.Bf16, [q, k, v, output]);
        if (!Supports(dev.Info))
            throw new NotSupportedException($"{kernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use FlashAttentionKernels.Forward.");
        var grid = new Dim3((uint)Launcher.CeilDiv(shape.Queries, RowsPerBlock), (uint)(shape.Batch * shape.Heads));
        dev.Launch(Launcher.GetHopper(dev, "flash_attention_wgmma", kernel), grid, Threads, 0, stream,
            FlashAttentionKernels.Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(output).Ptr(lse), shape));
    }

    /// <summary>The backward pass kernel's name (<paramref name="pass"/>: "dq" or "dkdv") for head size <paramref name="headSize"/>.</summary>
    public static string BackwardKernelName(string pass, int headSize) => $"flash_attention_backward_{pass}_d{headSize}_wgmma_bf16";

    /// <summary>
    /// Dynamic shared memory of either backward pass: six bfloat16 tiles of 64 rows × d (the block's own two, two buffers
    /// of the streaming two) and 1,024 bytes to align them to the swizzle atom.
    /// </summary>
    public static int BackwardSharedBytes(int headSize) => 6 * RowsPerBlock * 2 * headSize + 1024;

    /// <summary>
    /// dq, dk, dv (overwritten) as <see cref="FlashAttentionKernels.Backward"/> in bf16, from the forward's inputs, out and
    /// lse and dout; <paramref name="delta"/> is the same B·H·Sq floats of scratch (written by the dQ pass, read by the
    /// dK/dV pass, which runs after it on the stream).
    /// </summary>
    public static void Backward(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        DevicePtr doutput, DevicePtr delta, DevicePtr dq, DevicePtr dk, DevicePtr dv, FlashAttentionKernels.Shape shape, CudaStream? stream = null)
    {
        FlashAttentionKernels.Check(shape, "backward_dq");
        string dqKernel = BackwardKernelName("dq", shape.HeadSize), dkdvKernel = BackwardKernelName("dkdv", shape.HeadSize);
        foreach (var pointer in (ReadOnlySpan<DevicePtr>)[q, k, v, output, lse, doutput, delta, dq, dk, dv]) Launcher.NotNull(pointer, dqKernel);
        FlashAttentionKernels.CheckAligned(dqKernel, FlashAttentionKernels.Precision.Bf16, [q, k, v, output, doutput, dq, dk, dv]);
        if (!Supports(dev.Info))
            throw new NotSupportedException($"{dqKernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use FlashAttentionKernels.Backward.");
        int shared = BackwardSharedBytes(shape.HeadSize);
        uint pairs = (uint)(shape.Batch * shape.Heads);
        var dqFunction = Launcher.GetHopper(dev, "flash_attention_wgmma_backward", dqKernel);
        dev.SetMaxDynamicSharedBytes(dqFunction, shared);
        dev.Launch(dqFunction, new Dim3((uint)Launcher.CeilDiv(shape.Queries, RowsPerBlock), pairs), Threads, shared, stream,
            FlashAttentionKernels.Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(output).Ptr(doutput).Ptr(lse).Ptr(delta).Ptr(dq), shape));
        var dkdvFunction = Launcher.GetHopper(dev, "flash_attention_wgmma_backward", dkdvKernel);
        dev.SetMaxDynamicSharedBytes(dkdvFunction, shared);
        dev.Launch(dkdvFunction, new Dim3((uint)Launcher.CeilDiv(shape.Keys, RowsPerBlock), pairs), Threads, shared, stream,
            FlashAttentionKernels.Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(doutput).Ptr(lse).Ptr(delta).Ptr(dk).Ptr(dv), shape));
    }

    /// <summary>Which bf16 fused attention kernels (forward and backward) the CUDA backend uses on <paramref name="device"/>, in words (for <c>bench kernels</c>).</summary>
    public static string TensorCorePath(DeviceInfo device) => !Supports(device)
        ? "mma.sync, Kernels/bert/flash_attention_mma.cu (the wgmma kernel needs compute capability 9.x)"
        : HopperGemmKernels.OptedIn
            ? $"wgmma, Kernels/hopper/flash_attention_wgmma.cu and flash_attention_wgmma_backward.cu (sm_90a, {HopperGemmKernels.OptInVariable}=1)"
            : $"mma.sync, Kernels/bert/flash_attention_mma.cu (set {HopperGemmKernels.OptInVariable}=1 for the wgmma kernels Kernels/hopper/flash_attention_wgmma.cu and flash_attention_wgmma_backward.cu, not yet checked on a Hopper GPU)";
}
