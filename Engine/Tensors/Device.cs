namespace CudaBert.Engine;

/// <summary>Where a tensor's storage lives. Each device has one <see cref="Backends.IBackend"/>.</summary>
public enum Device
{
    /// <summary>Host memory, computed by the CPU backend.</summary>
    Cpu,
    /// <summary>GPU memory, computed by our CUDA kernels (on a real GPU or the software GPU).</summary>
    Cuda,
}
