namespace CudaBert.Engine;

/// <summary>Where a tensor's storage lives. Each device has one <see cref="Backends.IBackend"/>.</summary>
public enum Device
{
    Cpu,
    Cuda,
}
