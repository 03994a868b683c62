using System.Reflection;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Ptx;

/// <summary>
/// The PTX modules embedded in this assembly, by name. Kernels/tests/vector_add.cu is compiled by
/// Kernels/build-ptx.sh to Kernels/ptx/tests/vector_add.ptx, embedded as the resource
/// "ptx/tests/vector_add.ptx" (see CudaBert.Kernels.csproj) and found here as "tests/vector_add".
/// </summary>
public static class PtxModules
{
    const string ResourcePrefix = "ptx/";
    const string ResourceSuffix = ".ptx";

    static readonly Assembly Assembly = typeof(PtxModules).Assembly;

    /// <summary>Module name → manifest resource name. RecursiveDir uses '\' on Windows, hence the normalization.</summary>
    static readonly Dictionary<string, string> ResourceByName = Assembly.GetManifestResourceNames()
        .Select(resource => (resource, path: resource.Replace('\\', '/')))
        .Where(r => r.path.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.path.EndsWith(ResourceSuffix, StringComparison.Ordinal))
        .ToDictionary(r => r.path[ResourcePrefix.Length..^ResourceSuffix.Length], r => r.resource, StringComparer.Ordinal);

    /// <summary>Names of every embedded module, sorted (e.g. "tests/vector_add").</summary>
    public static IReadOnlyList<string> Names { get; } = ResourceByName.Keys.Order(StringComparer.Ordinal).ToArray();

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> TextByName = new(StringComparer.Ordinal);

    /// <summary>The PTX text of module <paramref name="name"/> (read from the assembly once, then cached).</summary>
    public static string Get(string name)
    {
        if (!ResourceByName.TryGetValue(name, out var resource))
            throw new ArgumentException($"No embedded PTX module '{name}'. Embedded modules: {string.Join(", ", Names)}.", nameof(name));
        return TextByName.GetOrAdd(resource, static r =>
        {
            using var stream = Assembly.GetManifestResourceStream(r)!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        });
    }

    /// <summary>The kernels (<c>.entry</c> functions) a PTX module defines, in order.</summary>
    public static IReadOnlyList<string> KernelNames(string ptx)
    {
        var names = new List<string>();
        foreach (var rawLine in ptx.AsSpan().EnumerateLines())
        {
            var line = rawLine.Trim();
            int entry = line.IndexOf(".entry ");
            if (entry < 0 || line.StartsWith("//"))
                continue;
            var rest = line[(entry + ".entry ".Length)..].TrimStart();
            int end = rest.IndexOfAny('(', ' ');
            names.Add((end < 0 ? rest : rest[..end]).ToString());
        }
        return names;
    }

    /// <summary>Loads embedded module <paramref name="name"/> on <paramref name="device"/> (the device caches it).</summary>
    public static CudaModule Load(ICudaDevice device, string name) => device.LoadModule(name, Get(name));
}
