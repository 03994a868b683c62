using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Ptx;

/// <summary>
/// The PTX modules this assembly ships: the BERT kernels of Kernels/bert, e.g. Kernels/bert/softmax.cu,
/// compiled by Kernels/build-ptx.sh to Kernels/ptx/bert/softmax.ptx, embedded as the resource
/// "ptx/bert/softmax.ptx" (see CudaBert.Kernels.csproj) and found here as "bert/softmax".
/// Teaching, course and test kernels are not shipped: the assemblies that use them embed their PTX and
/// read it through their own <see cref="PtxModuleSet"/>.
/// </summary>
public static class PtxModules
{
    /// <summary>The modules embedded in CudaBert.Kernels.</summary>
    public static PtxModuleSet Shipped { get; } = PtxModuleSet.Embedded(typeof(PtxModules).Assembly);

    /// <summary>Names of every shipped module, sorted (e.g. "bert/softmax").</summary>
    public static IReadOnlyList<string> Names => Shipped.Names;

    /// <summary>The PTX text of shipped module <paramref name="name"/>.</summary>
    public static string Get(string name) => Shipped.Get(name);

    /// <summary>Loads shipped module <paramref name="name"/> on <paramref name="device"/> (the device caches it).</summary>
    public static CudaModule Load(ICudaDevice device, string name) => Shipped.Load(device, name);

    /// <summary>
    /// Loads PTX held as text (generated, read from a file) under <paramref name="name"/>, the name the
    /// device caches it by and error messages give.
    /// </summary>
    public static CudaModule LoadText(ICudaDevice device, string name, string ptx) => device.LoadModule(name, ptx);

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
}
