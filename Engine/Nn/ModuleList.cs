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

    public ModuleList(IEnumerable<T> modules)
    {
        foreach (var module in modules)
            items.Add(RegisterModule(items.Count.ToString(CultureInfo.InvariantCulture), module));
    }

    public T this[int index] => items[index];
    public int Count => items.Count;
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
