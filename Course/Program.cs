using CudaBert.Course;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.SoftwareGpu;

// The kernel course's benchmark: every progression of Kernels/course beside the backend's kernel, in one table.
//   dotnet run -c Release --project Course [-- --device driver|software] [--size bert|small]
// Default: the real GPU at BERT-base sizes when there is one, else the software GPU at small sizes
// (instruction counts and the sanitizer's verdict instead of timings).
const string usage = "usage: cudabert-course [--device driver|software] [--size bert|small]";
string? device = null, sizeName = null;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--device" when value is "driver" or "software": device = value; i++; break;
        case "--size" when value is "bert" or "small": sizeName = value; i++; break;
        default:
            Console.Error.WriteLine($"cudabert-course: unexpected '{string.Join(' ', args[i..Math.Min(i + 2, args.Length)])}'\n{usage}");
            return 2;
    }
}

ICudaDevice gpu;
string reason = "not tried (--device software)";
if (device != "software" && CudaDevices.TryOpenDriver(out var driver, out reason))
    gpu = driver;
else if (device == "driver")
{
    Console.Error.WriteLine($"cudabert-course: no real GPU: {reason}");
    return 3;
}
else
{
    if (device is null) Console.WriteLine($"no real GPU ({reason}): the software GPU, instruction counts instead of timings");
    gpu = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true });
}

using (gpu)
{
    bool software = gpu.Info.IsSoftware;
    var size = (sizeName ?? (software ? "small" : "bert")) == "small" ? CourseSize.Small : CourseSize.Bert;
    Console.WriteLine($"cudabert-course on {gpu.Info.Name}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine(software
        ? "each step run once; instructions = PTX instructions executed by all threads; × backend = backend's instructions / step's"
        : $"median of {CourseBenchmark.Repeats} runs after {CourseBenchmark.Warmup} warm-up runs, CUDA events; × backend = backend's time / step's");
    CourseBenchmark.Print(new CourseBenchmark(gpu, size).Run(), software, Console.Out);
}
return 0;
