using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/elementwise.cu: y = a + b, a − b, a ⊙ b, α·x, y += α·x and fill over n float32 elements.
/// Launch: a grid-stride loop, <see cref="Launcher.Threads"/> threads per block, one thread per
/// float4 up to enough blocks to fill the device; thread g handles vectors g, g + G, ... (G threads in
/// the grid), then the n % 4 tail. Buffers not 16-byte aligned take a scalar loop. Outputs may alias inputs.
/// </summary>
public static class ElementwiseKernels
{
    /// <summary>y = a + b.</summary>
    public static void Add(ICudaDevice dev, DevicePtr a, DevicePtr b, DevicePtr y, long n, CudaStream? stream = null) =>
        Binary(dev, "add_f32", a, b, y, n, stream);

    /// <summary>y = a − b.</summary>
    public static void Sub(ICudaDevice dev, DevicePtr a, DevicePtr b, DevicePtr y, long n, CudaStream? stream = null) =>
        Binary(dev, "sub_f32", a, b, y, n, stream);

    /// <summary>y = a ⊙ b (element by element).</summary>
    public static void Mul(ICudaDevice dev, DevicePtr a, DevicePtr b, DevicePtr y, long n, CudaStream? stream = null) =>
        Binary(dev, "mul_f32", a, b, y, n, stream);

    /// <summary>y = α·x.</summary>
    public static void Scale(ICudaDevice dev, DevicePtr x, float alpha, DevicePtr y, long n, CudaStream? stream = null) =>
        Launcher.LaunchFloat4(dev, "elementwise", "scale_f32", n, stream, new KernelArgs().Ptr(x).F32(alpha).Ptr(y).I64(n));

    /// <summary>y += α·x, with one rounding per element (fused multiply-add).</summary>
    public static void AddScaledInPlace(ICudaDevice dev, DevicePtr y, float alpha, DevicePtr x, long n, CudaStream? stream = null) =>
        Launcher.LaunchFloat4(dev, "elementwise", "add_scaled_inplace_f32", n, stream, new KernelArgs().Ptr(y).F32(alpha).Ptr(x).I64(n));

    /// <summary>y = value everywhere (writes only: y may be freshly allocated).</summary>
    public static void Fill(ICudaDevice dev, DevicePtr y, float value, long n, CudaStream? stream = null) =>
        Launcher.LaunchFloat4(dev, "elementwise", "fill_f32", n, stream, new KernelArgs().Ptr(y).F32(value).I64(n));

    static void Binary(ICudaDevice dev, string kernel, DevicePtr a, DevicePtr b, DevicePtr y, long n, CudaStream? stream) =>
        Launcher.LaunchFloat4(dev, "elementwise", kernel, n, stream, new KernelArgs().Ptr(a).Ptr(b).Ptr(y).I64(n));
}
