using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/activations.cu: GELU (exact, erf) and tanh, and Kernels/bert/gelu_tanh.cu: GELU's tanh
/// approximation (Hugging Face <c>gelu_new</c> / <c>gelu_pytorch_tanh</c>), forward and backward, over
/// n float32 elements. Launch: a vectorized grid-stride loop (see <see cref="ElementwiseKernels"/>).
/// </summary>
public static class ActivationKernels
{
    /// <summary>y = x·Φ(x).</summary>
    public static void GeluForward(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_forward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(y).I64(n));

    /// <summary>dx = dy·(Φ(x) + x·φ(x)), from the forward input x.</summary>
    public static void GeluBackward(ICudaDevice dev, DevicePtr x, DevicePtr dy, DevicePtr dx, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_backward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(dy).Ptr(dx).I64(n));

    /// <summary>y = tanh(x).</summary>
    public static void TanhForward(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "tanh_forward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(y).I64(n));

    /// <summary>dx = dy·(1 − y²), from the forward output y.</summary>
    public static void TanhBackward(ICudaDevice dev, DevicePtr y, DevicePtr dy, DevicePtr dx, long n, CudaStream? stream = null) =>
        Run(dev, "tanh_backward_f32", n, stream, new KernelArgs().Ptr(y).Ptr(dy).Ptr(dx).I64(n));

    /// <summary>y = ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static void GeluTanhForward(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_tanh_forward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(y).I64(n), "gelu_tanh");

    /// <summary>dx = dy·dy/dx of the tanh-approximated forward, from the forward input x.</summary>
    public static void GeluTanhBackward(ICudaDevice dev, DevicePtr x, DevicePtr dy, DevicePtr dx, long n, CudaStream? stream = null) =>
        Run(dev, "gelu_tanh_backward_f32", n, stream, new KernelArgs().Ptr(x).Ptr(dy).Ptr(dx).I64(n), "gelu_tanh");

    static void Run(ICudaDevice dev, string kernel, long n, CudaStream? stream, KernelArgs args, string module = "activations") =>
        Launcher.LaunchFloat4(dev, module, kernel, n, stream, args);
}
