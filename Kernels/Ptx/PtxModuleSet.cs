using System.Collections.Concurrent;
using System.Reflection;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Ptx;

/// <summary>
/// The PTX modules embedded in one assembly, by name. Kernels/build-ptx.sh compiles
/// Kernels/&lt;dir&gt;/&lt;name&gt;.cu to Kernels/ptx/&lt;dir&gt;/&lt;name&gt;.ptx; an assembly embeds the ones it
/// uses as resources named "ptx/&lt;dir&gt;/&lt;name&gt;.ptx", and this set finds them as "&lt;dir&gt;/&lt;name&gt;".
/// In the assembly's project file:
/// <code>
/// &lt;EmbeddedResource Include="$(MSBuildThisFileDirectory)../Kernels/ptx/course/**/*.ptx"
///                   LogicalName="ptx/course/%(RecursiveDir)%(Filename)%(Extension)" /&gt;
/// </code>
/// then <c>PtxModuleSet.Embedded(typeof(SomeTypeOfThatAssembly).Assembly).Load(device, "course/gemm/1_naive")</c>.
/// The shipped BERT kernels are <see cref="PtxModules.Shipped"/>; PTX held as text needs no set:
/// <see cref="PtxModules.LoadText"/>.
/// </summary>
public sealed class PtxModuleSet
{
    const string ResourcePrefix = "ptx/";
    const string ResourceSuffix = ".ptx";

    readonly Assembly _assembly;
    /// <summary>Module name → manifest resource name. RecursiveDir uses '\' on Windows, hence the normalization.</summary>
    readonly Dictionary<string, string> _resourceByName;
    readonly ConcurrentDictionary<string, string> _textByName = new(StringComparer.Ordinal);

    PtxModuleSet(Assembly assembly)
    {
        _assembly = assembly;
        _resourceByName = assembly.GetManifestResourceNames()
            .Select(resource => (resource, path: resource.Replace('\\', '/')))
            .Where(r => r.path.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.path.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            .ToDictionary(r => r.path[ResourcePrefix.Length..^ResourceSuffix.Length], r => r.resource, StringComparer.Ordinal);
        Names = _resourceByName.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The modules embedded in <paramref name="assembly"/> (resources "ptx/**.ptx").</summary>
    public static PtxModuleSet Embedded(Assembly assembly) => new(assembly);

    /// <summary>The assembly whose resources these are.</summary>
    public string AssemblyName => _assembly.GetName().Name ?? "?";

    /// <summary>Names of every module of the set, sorted (e.g. "bert/softmax").</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The PTX text of module <paramref name="name"/> (read from the assembly once, then cached).</summary>
    public string Get(string name)
    {
        if (!_resourceByName.TryGetValue(name, out var resource))
            throw new ArgumentException($"No PTX module '{name}' embedded in {AssemblyName}. Embedded modules: {string.Join(", ", Names)}.", nameof(name));
        return _textByName.GetOrAdd(resource, r =>
        {
            using var stream = _assembly.GetManifestResourceStream(r)!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        });
    }

    /// <summary>Loads module <paramref name="name"/> on <paramref name="device"/> (the device caches it by name).</summary>
    public CudaModule Load(ICudaDevice device, string name) => device.LoadModule(name, Get(name));
}
