using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/gelu_tanh.cu: GELU's tanh approximation (Hugging Face <c>gelu_new</c> /
/// <c>gelu_pytorch_tanh</c>), forward and backward, over n float32 elements. Launch: a vectorized
/// grid-stride loop (see <see cref="ElementwiseKernels"/>).
/// </summary>
public static class GeluTanhKernels
{
    /// <summary>y = ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static void Forward(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_tanh_forward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(y).I64(n));

    /// <summary>dx = dy·dy/dx of the forward, from the forward input x.</summary>
    public static void Backward(ICudaDevice dev, DevicePtr x, DevicePtr dy, DevicePtr dx, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_tanh_backward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(dy).Ptr(dx).I64(n));

    static void Run(ICudaDevice dev, string kernel, long n, CudaStream? stream, KernelArgs args)
    {
        BertKernel.Positive(n, kernel);
        dev.Launch(BertKernel.Get(dev, "gelu_tanh", kernel), BertKernel.GridStrideBlocks(dev, BertKernel.CeilDiv(n, 4)), BertKernel.Threads, 0, stream, args);
    }
}
