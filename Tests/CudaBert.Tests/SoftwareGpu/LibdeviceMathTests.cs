using CudaBert.Engine.Cpu;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// The CUDA math functions as NVRTC compiles them (libdevice: fma with directed rounding, approx
/// SFU instructions, f64 conversions, local-memory argument reduction for large sinf/cosf) give
/// results within the maximum ulp errors the CUDA C++ Programming Guide lists for them, against
/// double-precision references. Fixture: SoftwareGpu/Fixtures/libdevice_math.cu (.ptx by NVRTC 12.4).
/// </summary>
public class LibdeviceMathTests
{
    static readonly string FixturePtx = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SoftwareGpu", "Fixtures", "libdevice_math.ptx"));

    /// <summary>Name, double reference, maximum ulp error (CUDA guide, single precision) of each output column.</summary>
    static readonly (string Name, Func<double, double> Reference, Func<double, double> MaxUlp)[] Functions =
    [
        ("erff", Erf.Evaluate, _ => 2),   // the engine's double erf, checked against CPython to 1e-15 in OpForwardTests
        ("expf", Math.Exp, _ => 2),
        ("logf", v => Math.Log(MathF.Abs((float)v) + 1f), _ => 1),   // the argument is computed in float, as in the kernel
        ("tanhf", Math.Tanh, _ => 2),
        ("rsqrtf", v => 1 / Math.Sqrt(MathF.Abs((float)v) + 1e-5f), _ => 2),
        ("sqrtf", v => Math.Sqrt(Math.Abs(v)), _ => 0),
        ("sinf", Math.Sin, _ => 2),
        ("cosf", Math.Cos, _ => 2),
        ("powf", v => Math.Pow(MathF.Abs((float)v) + 1f, 1.5), _ => 4),
        ("__float2int_rn", v => Math.Clamp(Math.Round((double)(float)(v * 100f), MidpointRounding.ToEven), int.MinValue, int.MaxValue), _ => 0), // saturates
        ("__expf", Math.Exp, v => 2 + Math.Floor(Math.Abs(1.173 * v))),
        ("roundf + floorf", v => Math.Round(v, MidpointRounding.AwayFromZero) + Math.Floor(v), _ => 0),
    ];

    [Fact]
    public void LibdeviceFunctionsStayWithinTheirDocumentedUlpErrors()
    {
        var rng = new Random(1);
        // Random arguments in [-10, 10], plus large ones that take sinf/cosf's slow reduction path.
        var x = Enumerable.Range(0, 500).Select(_ => (float)(rng.NextDouble() * 20 - 10)).Concat([2.5f, -0.5f, 80.5f, -2e5f, 1.23456e6f, 3e7f]).ToArray();
        using var device = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true });
        var kernel = device.GetFunction(device.LoadModule("libdevice_math", FixturePtx), "libdevice_math");
        var input = Ptx.Upload(device, x);
        var output = device.Allocate(4L * 12 * x.Length);
        device.Launch(kernel, (x.Length + 127) / 128, 128, 0, null, new KernelArgs().Ptr(input).Ptr(output).I32(x.Length));
        var y = Ptx.Download<float>(device, output, 12 * x.Length);

        for (int i = 0; i < x.Length; i++)
            for (int k = 0; k < Functions.Length; k++)
            {
                var (name, reference, maxUlp) = Functions[k];
                double expected = reference(x[i]);
                float got = y[i * 12 + k];
                if (double.IsInfinity(expected) || expected == 0) { Assert.Equal((float)expected, got); continue; }
                float rounded = Math.Abs((float)expected);
                double ulp = MathF.BitIncrement(rounded) - rounded;
                AssertClose.Scalar(expected, got, $"{name}({x[i]}), {maxUlp(x[i])} ulp", absolute: (maxUlp(x[i]) + 0.5) * ulp);
            }
    }
}
