using CudaBert.Engine.Cuda;

namespace CudaBert.Engine.Backends;

/// <summary>
/// The device a run uses, resolved from a name, and why. The trainer resolves its
/// <c>TrainingOptions.Device</c> through it (the command line's <c>--device</c> feeds that option, and
/// eval, predict and embed resolve theirs the same way):
/// <list type="bullet">
/// <item><c>auto</c> (the default): the GPU when the CUDA driver opens one, else the CPU. The software
/// GPU (<c>CUDABERT_SOFTWARE_GPU=1</c>) is never chosen automatically: it is an interpreter, thousands
/// of times slower than the CPU backend;</item>
/// <item><c>cpu</c>: the CPU backend;</item>
/// <item><c>cuda</c>: the CUDA backend on whatever device it opens (the software GPU included), or an
/// error saying why there is none.</item>
/// </list>
/// </summary>
public sealed record DeviceChoice(Device Device, string Reason)
{
    /// <summary>The option values: <c>auto</c> (the GPU if the driver opens one, else the CPU), <c>cpu</c>, <c>cuda</c>.</summary>
    public const string Auto = "auto", Cpu = "cpu", Cuda = "cuda";

    /// <summary>The accepted values of the option, for help texts and validation.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, Cpu, Cuda];

    /// <summary>Whether <paramref name="option"/> is one of <see cref="Names"/> (exact, lower case).</summary>
    public static bool IsValid(string option) => Names.Contains(option);

    /// <summary>Resolves an option value; <c>cuda</c> without a device is an <see cref="ArgumentException"/> with the driver's reason.</summary>
    public static DeviceChoice Resolve(string option)
    {
        switch (option)
        {
            case Cpu:
                return new(Device.Cpu, "--device cpu");
            case Cuda:
                if (!TryOpenCuda(out string name, out string reason))
                    throw new ArgumentException($"option device: cuda was asked for but {reason}");
                return new(Device.Cuda, $"--device cuda: {name}");
            case Auto:
                if (!TryOpenCuda(out name, out reason)) return new(Device.Cpu, $"auto: {reason}");
                return CudaBackend.Current.Gpu.Info.IsSoftware
                    ? new(Device.Cpu, $"auto: only the {name} is available, far slower than the CPU (--device cuda uses it anyway)")
                    : new(Device.Cuda, $"auto: {name}");
            default:
                throw new ArgumentException($"option device: '{option}' is not one of {string.Join(", ", Names)}");
        }
    }

    /// <summary>Opens (once per process) the CUDA backend; <paramref name="name"/> says which device it runs on.</summary>
    static bool TryOpenCuda(out string name, out string reason)
    {
        (name, reason) = ("", "");
        try
        {
            var info = ((CudaBackend)Backend.For(Device.Cuda)).Gpu.Info;
            name = info.IsSoftware ? "software GPU (CUDABERT_SOFTWARE_GPU=1)" : $"{info.Name}, compute capability {info.ComputeCapabilityMajor}.{info.ComputeCapabilityMinor}";
            return true;
        }
        catch (InvalidOperationException e)
        {
            reason = e.Message;
            return false;
        }
    }
}
