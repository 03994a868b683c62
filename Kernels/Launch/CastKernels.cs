using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/cast.cu: int32 ↔ float32 conversions (ids or masks to float and back), and between
/// the floats float32, bfloat16 and float16 (16-bit values as raw bits; narrowing rounds to nearest even).
/// </summary>
public static class CastKernels
{
    /// <summary>y = (float)x for int32 x (ids or masks to float). Launch: a grid-stride loop.</summary>
    public static void Int32ToFloat32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "int32_to_float32", x, y, n, stream);

    /// <summary>y = (int)x, truncating toward zero, for float32 x. Launch: a grid-stride loop.</summary>
    public static void Float32ToInt32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "float32_to_int32", x, y, n, stream);

    /// <summary>y = x rounded to bfloat16 (nearest, ties to even). Launch: a grid-stride loop.</summary>
    public static void Float32ToBFloat16(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "float32_to_bfloat16", x, y, n, stream);

    /// <summary>y = x widened exactly from bfloat16. Launch: a grid-stride loop.</summary>
    public static void BFloat16ToFloat32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "bfloat16_to_float32", x, y, n, stream);

    /// <summary>y = x rounded to float16 (nearest, ties to even). Launch: a grid-stride loop.</summary>
    public static void Float32ToFloat16(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "float32_to_float16", x, y, n, stream);

    /// <summary>y = x widened exactly from float16. Launch: a grid-stride loop.</summary>
    public static void Float16ToFloat32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "float16_to_float32", x, y, n, stream);

    /// <summary>y = bfloat16 x rounded to float16 (through float32, exact). Launch: a grid-stride loop.</summary>
    public static void BFloat16ToFloat16(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "bfloat16_to_float16", x, y, n, stream);

    /// <summary>y = float16 x rounded to bfloat16 (through float32, exact). Launch: a grid-stride loop.</summary>
    public static void Float16ToBFloat16(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Run(dev, "float16_to_bfloat16", x, y, n, stream);

    static void Run(ICudaDevice dev, string kernel, DevicePtr x, DevicePtr y, long n, CudaStream? stream)
    {
        Launcher.Positive(n, kernel);
        dev.Launch(Launcher.Get(dev, "cast", kernel), Launcher.GridStrideBlocks(dev, n), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(y).I64(n));
    }
}
