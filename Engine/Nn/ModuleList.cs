using System.Collections;
using System.Globalization;

namespace CudaBert.Engine.Nn;

/// <summary>
/// Modules registered under their index ("0", "1", …), as PyTorch's <c>nn.ModuleList</c>, so that
/// a parameter of the third layer is named <c>layer.2.…</c>.
/// </summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> items = [];

    /// <summary>Registers <paramref name="modules"/> in order under the names "0", "1", …</summary>
    public ModuleList(IEnumerable<T> modules)
    {
        foreach (var module in modules)
            items.Add(RegisterModule(items.Count.ToString(CultureInfo.InvariantCulture), module));
    }

    /// <summary>The module registered under name <paramref name="index"/>.</summary>
    public T this[int index] => items[index];
    /// <summary>Number of modules in the list.</summary>
    public int Count => items.Count;
    /// <summary>The modules in index order.</summary>
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
