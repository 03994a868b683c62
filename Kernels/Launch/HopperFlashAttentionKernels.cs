using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's fused attention forward, Kernels/hopper/flash_attention_wgmma.cu: what <see cref="FlashAttentionKernels"/>'
/// bf16 forward computes (out and lse, padding mask, dropout from the same Philox positions), with Q·Kᵀ and P·V on
/// warpgroup <c>wgmma.mma_async</c>: Q, K and V rounded to bfloat16 into swizzled shared memory, P fed from registers.
/// There is no backward here: the bf16 mma.sync dQ and dK/dV kernels (<see cref="FlashAttentionKernels.Backward"/>) read
/// this forward's out and lse as they read their own. Its PTX targets sm_90a, so it runs on compute capability 9.x
/// only; <see cref="FlashAttentionKernels.Dispatch"/> takes it for bf16 there only when
/// <see cref="HopperGemmKernels.OptInVariable"/> is 1 (<see cref="Chosen"/>), as the wgmma GEMMs, for the same reason:
/// until its tests have passed on a Hopper GPU, the mma.sync kernel stays the default.
/// Launch: grid (⌈Sq/64⌉, B·H) of 128 threads (one warpgroup per 64 query rows), 45,568 bytes of static shared memory
/// for head size 64 (25,088 for 32). Tensors as <see cref="FlashAttentionKernels"/>, 16-byte aligned.
/// </summary>
public static class HopperFlashAttentionKernels
{
    const int RowsPerBlock = 64, Threads = 128;

    /// <summary>Whether <paramref name="device"/> runs the kernel (compute capability 9.x).</summary>
    public static bool Supports(DeviceInfo device) => device.ComputeCapabilityMajor == 9;

    /// <summary>Whether <see cref="FlashAttentionKernels.Dispatch"/> takes this kernel for bf16: <see cref="HopperGemmKernels.OptedIn"/> and <see cref="Supports"/>.</summary>
    public static bool Chosen(DeviceInfo device) => HopperGemmKernels.OptedIn && Supports(device);

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

    /// <summary>Which bf16 fused attention forward the CUDA backend uses on <paramref name="device"/>, in words (for <c>bench kernels</c>).</summary>
    public static string TensorCorePath(DeviceInfo device) => !Supports(device)
        ? "mma.sync, Kernels/bert/flash_attention_mma.cu (the wgmma kernel needs compute capability 9.x)"
        : HopperGemmKernels.OptedIn
            ? $"wgmma, Kernels/hopper/flash_attention_wgmma.cu (sm_90a, {HopperGemmKernels.OptInVariable}=1; the backward stays on mma.sync)"
            : $"mma.sync, Kernels/bert/flash_attention_mma.cu (set {HopperGemmKernels.OptInVariable}=1 for the wgmma forward Kernels/hopper/flash_attention_wgmma.cu, not yet checked on a Hopper GPU)";
}
