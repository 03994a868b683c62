using System.Reflection;
using System.Runtime.InteropServices;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// Finds the NVIDIA libraries our <c>LibraryImport</c> bindings name only as "cuda" and "cublas".
/// The .NET loader would look for "libcuda.so", which only exists where the CUDA toolkit's
/// development files are installed; the driver itself ships "libcuda.so.1" (Linux) and
/// "nvcuda.dll" (Windows), and cuBLAS carries its major version in the file name, so we probe.
/// An environment variable (CUDABERT_LIBCUDA, CUDABERT_LIBCUBLAS) with a full path is tried first.
/// </summary>
static class NativeLibraries
{
    public const string Cuda = "cuda";
    public const string Cublas = "cublas";

    static readonly string[] CudaCandidates = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so"];

    /// <summary>Newest first: the first cuBLAS found is the one used.</summary>
    static readonly string[] CublasCandidates = OperatingSystem.IsWindows()
        ? ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"]
        : ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];

    static readonly Lock Gate = new();
    static readonly Dictionary<string, (nint Handle, string Description)> Loaded = [];
    static bool _resolverRegistered;

    /// <summary>
    /// Loads library <paramref name="name"/> (<see cref="Cuda"/> or <see cref="Cublas"/>) and makes the
    /// bindings use it. <paramref name="description"/> is the file that was loaded, or which files were
    /// tried. Never throws for a missing library.
    /// </summary>
    public static bool TryLoad(string name, out string description)
    {
        lock (Gate)
        {
            if (!_resolverRegistered)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
                _resolverRegistered = true;
            }
            if (Loaded.TryGetValue(name, out var known))
            {
                description = known.Description;
                return known.Handle != 0;
            }
            var (variable, candidates) = name == Cuda ? ("CUDABERT_LIBCUDA", CudaCandidates) : ("CUDABERT_LIBCUBLAS", CublasCandidates);
            var tried = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path ? [path, .. candidates] : candidates;
            foreach (var file in tried)
            {
                if (NativeLibrary.TryLoad(file, out nint handle))
                {
                    Loaded[name] = (handle, file);
                    description = file;
                    return true;
                }
            }
            description = $"none of {string.Join(", ", tried)} could be loaded";
            Loaded[name] = (0, description);
            return false;
        }
    }

    static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
            return Loaded.TryGetValue(name, out var library) ? library.Handle : 0;
    }
}
