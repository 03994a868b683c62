using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Samples.Kernel;

/// <summary>
/// One of the shipped kernels (<c>add_f32</c> of Kernels/bert/elementwise.cu) launched by hand
/// through <see cref="ICudaDevice"/>: on the real GPU when the CUDA driver opens one, else on the
/// software GPU (the PTX interpreter) with its sanitizer on. <c>--software</c> forces the latter.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        float[] sum = Run(forceSoftware: args.Contains("--software"));
        Console.WriteLine($"y[0..4] = {string.Join(", ", sum.Take(4))}, y[^1] = {sum[^1]}");
        return 0;
    }

    /// <summary>Adds two vectors of <paramref name="n"/> floats on a device and returns the sum.</summary>
    public static float[] Run(int n = 1000, bool forceSoftware = false)
    {
        float[] a = [.. Enumerable.Range(0, n).Select(i => (float)i)], b = [.. Enumerable.Range(0, n).Select(i => 0.5f)];
        var y = new float[n];

        // region: launch
        ICudaDevice gpu = !forceSoftware && CudaDevices.TryOpenDriver(out var driver, out _)
            ? driver                                                         // GPU 0 through libcuda
            : new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true });
        using (gpu)
        {
            Console.WriteLine($"device: {gpu.Info.Name}");
            var module = PtxModules.Load(gpu, "bert/elementwise");          // the embedded PTX; the driver JIT-compiles it
            var kernel = gpu.GetFunction(module, "add_f32");                 // extern "C": the name in the .cu file
            DevicePtr da = gpu.Allocate(n * 4L), db = gpu.Allocate(n * 4L), dy = gpu.Allocate(n * 4L);
            gpu.CopyToDevice<float>(a, da);
            gpu.CopyToDevice<float>(b, db);
            gpu.Launch(kernel, grid: (n + 255) / 256, block: 256, dynamicSharedBytes: 0, stream: null,
                new KernelArgs().Ptr(da).Ptr(db).Ptr(dy).I64(n));             // the kernel's parameters, in order
            gpu.CopyToHost<float>(dy, y);                                    // waits for the kernel
            gpu.Free(da); gpu.Free(db); gpu.Free(dy);
            if (gpu is SoftwareGpuDevice software)
                Console.WriteLine($"sanitizer findings: {software.Reports.Count}; " +
                                  $"{software.Statistics.InstructionsExecuted:N0} PTX instructions interpreted");
        }
        // endregion
        return y;
    }
}
