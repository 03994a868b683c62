using System.Runtime.CompilerServices;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// What every launcher of Kernels/bert/*.cu shares: looking kernels up (module "bert/NAME" from the
/// embedded PTX, loaded once per device), launch-shape helpers and argument checks.
/// </summary>
static class Launcher
{
    /// <summary>Threads per block for the one-dimensional kernels: 8 warps, a good default on every GPU since Volta.</summary>
    public const int Threads = 256;

    /// <summary>Resident blocks per multiprocessor that a grid-stride loop aims at (enough to hide memory latency).</summary>
    const int BlocksPerMultiprocessor = 16;

    // Per device: (module name, kernel) → function, so a launch costs one dictionary lookup. The device
    // caches modules and functions too, but behind its own lookups (the software GPU scans a list).
    static readonly ConditionalWeakTable<ICudaDevice, Dictionary<(string, string), CudaFunction>> Functions = new();

    /// <summary>Kernel <paramref name="kernel"/> of Kernels/bert/<paramref name="module"/>.cu on <paramref name="device"/>.</summary>
    public static CudaFunction Get(ICudaDevice device, string module, string kernel) => Get(device, "bert", module, kernel);

    /// <summary>Kernel <paramref name="kernel"/> of Kernels/hopper/<paramref name="module"/>.cu (sm_90a PTX: compute capability 9.x only).</summary>
    public static CudaFunction GetHopper(ICudaDevice device, string module, string kernel) => Get(device, "hopper", module, kernel);

    static CudaFunction Get(ICudaDevice device, string folder, string module, string kernel)
    {
        var functions = Functions.GetOrCreateValue(device);
        lock (functions)
        {
            string name = folder + "/" + module;
            if (!functions.TryGetValue((name, kernel), out var function))
            {
                function = device.GetFunction(PtxModules.Load(device, name), kernel);
                functions[(name, kernel)] = function;
            }
            return function;
        }
    }

    /// <summary>Blocks of <see cref="Threads"/> for a grid-stride loop over <paramref name="work"/> items: one item per thread, capped at what fills the device.</summary>
    public static int GridStrideBlocks(ICudaDevice device, long work)
    {
        long cap = Math.Max(1, device.Info.MultiprocessorCount) * BlocksPerMultiprocessor;
        return (int)Math.Clamp(CeilDiv(work, Threads), 1, cap);
    }

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    /// <summary>
    /// Whether a float4 variant may run: rows of <paramref name="cols"/> floats keep every row start on a 16-byte
    /// boundary (cols % 4 == 0) and every pointer is 16-byte aligned (a null pointer counts as aligned).
    /// </summary>
    public static bool Float4Aligned(long cols, params ReadOnlySpan<DevicePtr> pointers)
    {
        bool aligned = cols % 4 == 0;
        foreach (var pointer in pointers) aligned &= pointer.Address % 16 == 0;
        return aligned;
    }

    /// <summary>
    /// The row kernel to run for rows of <paramref name="cols"/> columns: up to <paramref name="maxShortColumns"/>, the
    /// variant that keeps the row in registers ("NAME_short_f32", or "NAME_short_vec4_f32" when <see cref="Float4Aligned"/>);
    /// longer rows, <paramref name="kernel"/> ("NAME_f32") itself.
    /// </summary>
    public static string ShortRowVariant(string kernel, int cols, int maxShortColumns, params ReadOnlySpan<DevicePtr> pointers) =>
        cols > maxShortColumns ? kernel : kernel.Replace("_f32", Float4Aligned(cols, pointers) ? "_short_vec4_f32" : "_short_f32");

    /// <summary>
    /// Launches an element-wise kernel over <paramref name="n"/> float32 elements: one thread per float4, in
    /// a grid-stride loop of <see cref="GridStrideBlocks"/> blocks (the kernel itself handles the n % 4 tail).
    /// </summary>
    public static void LaunchFloat4(ICudaDevice device, string module, string kernel, long n, CudaStream? stream, KernelArgs args)
    {
        Positive(n, kernel);
        device.Launch(Get(device, module, kernel), GridStrideBlocks(device, CeilDiv(n, 4)), Threads, 0, stream, args);
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the kernel and the argument when <paramref name="value"/> ≤ 0.</summary>
    public static void Positive(long value, string kernel, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{kernel}: {name} must be positive, got {value}.");
    }

    /// <summary>Throws when a required device pointer is null, naming the kernel and the argument.</summary>
    public static void NotNull(DevicePtr pointer, string kernel, [CallerArgumentExpression(nameof(pointer))] string name = "")
    {
        if (pointer.IsNull)
            throw new ArgumentNullException(name, $"{kernel}: {name} is a null device pointer.");
    }

    /// <summary>Throws when a size used as a 32-bit kernel index does not fit.</summary>
    public static int Int32Extent(long value, string kernel, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value > int.MaxValue)
            throw new ArgumentOutOfRangeException(name, value, $"{kernel}: {name} = {value} exceeds the kernel's 32-bit indexing.");
        return (int)value;
    }
}
