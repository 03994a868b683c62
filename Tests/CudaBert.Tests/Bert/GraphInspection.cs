using CudaBert.Engine;
using CudaBert.Engine.Autograd;

namespace CudaBert.Tests.Bert;

/// <summary>Reads the recorded autograd graph behind a tensor (what a backward pass would run).</summary>
internal static class GraphInspection
{
    /// <summary>Every node reachable from <paramref name="root"/>, each once.</summary>
    public static List<Node> Nodes(Tensor root)
    {
        var nodes = new List<Node>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { root };
        var pending = new Stack<Tensor>([root]);
        while (pending.Count > 0)
        {
            var node = pending.Pop().GradFn;
            if (node is null) continue;
            nodes.Add(node);
            foreach (var input in node.Inputs)
                if (input is not null && seen.Add(input)) pending.Push(input);
        }
        return nodes;
    }
}
