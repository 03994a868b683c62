using System.Diagnostics;
using CudaBert.Course;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// Opt-in measurement (set CUDABERT_SOFTWARE_GPU_SPEED=1): how fast the interpreter runs the 64×64×64
/// tiled GEMM and a 4096-element softmax. Prints wall and CPU time per launch and interpreted
/// instructions per second; asserts nothing about time (speed is a measurement, not a unit test).
/// </summary>
public class SpeedReport(ITestOutputHelper output)
{
    [Fact]
    public void InterpreterSpeed()
    {
        if (Environment.GetEnvironmentVariable("CUDABERT_SOFTWARE_GPU_SPEED") != "1")
            Assert.Skip("opt-in measurement: set CUDABERT_SOFTWARE_GPU_SPEED=1");
        using var device = new SoftwareGpuDevice();
        var rng = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        const int size = 64;
        var a = Ptx.Upload(device, Random(size * size));
        var b = Ptx.Upload(device, Random(size * size));
        var c = Ptx.Upload(device, Random(size * size));
        var gemm = device.GetFunction(CoursePtx.Modules.Load(device, "course/gemm/2_shared_tiled"), "tiled_gemm");
        Measure("tiled_gemm 64x64x64 (16x16 blocks)", device, () => device.Launch(gemm, new Dim3(4, 4), new Dim3(16, 16), 0, null,
            new KernelArgs().I32(size).I32(size).I32(size).F32(1f).Ptr(a).Ptr(b).F32(0.5f).Ptr(c)));

        var x = Ptx.Upload(device, Random(4096));
        var y = device.Allocate(4 * 4096);
        var softmax = device.GetFunction(CoursePtx.Modules.Load(device, "course/softmax/2_block_per_row"), "softmax_rows");
        Measure("softmax_rows 1x4096 (256 threads)", device, () => device.Launch(softmax, 1, 256, 0, null, new KernelArgs().Ptr(x).Ptr(y).I32(4096)));
    }

    void Measure(string name, SoftwareGpuDevice device, Action launch)
    {
        launch(); // warm-up (JIT)
        const int repeats = 5;
        var before = device.Statistics;
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) launch();
        wall.Stop();
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / repeats;
        long instructions = (device.Statistics.InstructionsExecuted - before.InstructionsExecuted) / repeats;
        output.WriteLine($"{name}: {wall.Elapsed.TotalMilliseconds / repeats:F1} ms wall, {cpuMs:F1} ms CPU per launch; " +
                         $"{instructions:N0} instructions; {instructions / (cpuMs / 1000) / 1e6:F1} M instructions per CPU-second; " +
                         $"device statistic {device.Statistics.InstructionsPerSecond / 1e6:F1} M/s (wall)");
    }
}
