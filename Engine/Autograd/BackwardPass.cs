namespace CudaBert.Engine.Autograd;

/// <summary>
/// Reverse-mode differentiation over the recorded graph.
/// <list type="number">
/// <item>Order: a depth-first walk from the root lists every tensor that has a node after all the
/// tensors computed from it (reverse topological order).</item>
/// <item>Sweep: in that order each tensor's accumulated gradient is handed to its node, whose
/// input gradients are summed into their tensors' entries — or, for leaves that require a
/// gradient, into <see cref="Tensor.Grad"/> (which keeps accumulating across passes).</item>
/// </list>
/// Intermediate gradients live in a scope of their own and are released as soon as they are
/// consumed, and each node's backward runs in a scope of its own, so its temporaries are released
/// when it returns: the pass holds the forward's saved tensors plus a frontier of gradients, not
/// every gradient it ever made. Nothing done here is recorded (no double backward), except the
/// forward a checkpointed block runs again inside its node (<see cref="Ops.Checkpoint"/>), which
/// <see cref="LeafGradients"/> then sweeps as a pass of its own.
/// </summary>
public static class BackwardPass
{
    /// <summary>
    /// Backpropagates from <paramref name="root"/>: adds ∂root/∂leaf into <see cref="Tensor.Grad"/> of every
    /// leaf of its graph that requires a gradient. Throws <see cref="InvalidOperationException"/> when
    /// the root has more than one element or does not require a gradient.
    /// </summary>
    /// <param name="root">The one-element tensor to differentiate.</param>
    /// <param name="leafGradientDone">
    /// Called with each leaf right after its gradient from this pass has been added to its
    /// <see cref="Tensor.Grad"/>: every path from the root to a leaf has been swept by then (the order puts
    /// a tensor after all that depend on it), so the pass adds nothing more to it. Data-parallel training
    /// starts averaging a layer's gradients there while the pass goes on below (<c>GradientBuckets</c>).
    /// </param>
    public static void Run(Tensor root, Action<Tensor>? leafGradientDone = null)
    {
        if (root.NumElements != 1)
            throw new InvalidOperationException($"Backward() needs a one-element (scalar) tensor, got {root.Shape}; reduce it first (Sum, Mean)");
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require a gradient: no input of its graph has RequiresGrad (or it was computed under NoGrad)");

        Sweep(root, () => Tensor.Ones(root.Shape, root.DType, root.Device), (leaf, grad) =>
        {
            AccumulateIntoLeaf(leaf, grad);
            grad.Dispose();
            leafGradientDone?.Invoke(leaf);
        });
    }

    /// <summary>
    /// The gradients of <paramref name="leaves"/> for a pass from <paramref name="output"/> whose incoming gradient
    /// is <paramref name="gradOutput"/> (∂L/∂output, its shape): the vector–Jacobian product of a whole recorded
    /// subgraph, in the order of <paramref name="leaves"/>, null for a leaf no path reaches. Nothing is added to
    /// any <see cref="Tensor.Grad"/>: the caller hands the gradients on (<see cref="Ops.Checkpoint"/> returns them
    /// from its node, and the enclosing pass adds them to the leaves once). The gradients belong to the caller's
    /// scope; <paramref name="gradOutput"/> is left as it is. Throws <see cref="InvalidOperationException"/> when the
    /// subgraph reaches a leaf that requires a gradient and is not one of <paramref name="leaves"/> (its gradient
    /// would be lost).
    /// </summary>
    internal static Tensor?[] LeafGradients(Tensor output, Tensor gradOutput, IReadOnlyList<Tensor> leaves)
    {
        if (gradOutput.Shape != output.Shape)
            throw new ArgumentException($"backward through a subgraph: gradient {gradOutput.Shape} for an output of shape {output.Shape}");
        var index = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < leaves.Count; i++) index[leaves[i]] = i;
        var gradients = new Tensor?[leaves.Count];
        Sweep(output, () => gradOutput.ViewAs(gradOutput.Shape), (leaf, grad) =>
        {
            if (!index.TryGetValue(leaf, out int i))
                throw new InvalidOperationException($"backward through a subgraph: it reaches a leaf {leaf} that is not one of its {leaves.Count} declared inputs and parameters, whose gradient would be lost");
            gradients[i] = grad.MoveToOuterScope();
        });
        return gradients;
    }

    /// <summary>
    /// The sweep itself, from <paramref name="root"/> with the gradient <paramref name="seed"/> makes (in the pass's
    /// scope): each leaf's summed gradient goes to <paramref name="leafGradient"/>, owned by that scope.
    /// </summary>
    private static void Sweep(Tensor root, Func<Tensor> seed, Action<Tensor, Tensor> leafGradient)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed() };
        foreach (var tensor in ReverseTopologicalOrder(root))
        {
            if (!pending.Remove(tensor, out var grad)) continue; // no path from the root carries a gradient here
            if (tensor.IsLeaf)
            {
                leafGradient(tensor, grad);
                continue;
            }
            var node = tensor.GradFn!;
            Tensor?[] inputGrads;
            using (var work = Tensor.Scope())
            {
                inputGrads = node.Backward(grad);
                // The gradients leave the node's own scope; its temporaries (transposed copies,
                // partial products) are released here rather than at the end of the whole pass.
                foreach (var g in inputGrads)
                    if (g is not null && g.Owner == work) g.MoveToOuterScope();
            }
            if (inputGrads.Length != node.Inputs.Count)
                throw new InvalidOperationException($"{node.Name} backward returned {inputGrads.Length} gradients for {node.Inputs.Count} inputs");
            for (int i = 0; i < inputGrads.Length; i++)
            {
                var input = node.Inputs[i];
                var g = inputGrads[i];
                if (input is null || g is null || !input.RequiresGrad) continue;
                if (g.Shape != input.Shape)
                    throw new InvalidOperationException($"{node.Name} backward: gradient {g.Shape} for input {i} of shape {input.Shape}");
                // A fresh view per entry: one gradient tensor may be handed to several inputs.
                var entry = g.ViewAs(g.Shape);
                if (pending.Remove(input, out var earlier))
                {
                    var sum = Tensor.Empty(input.Shape, input.DType, input.Device);
                    sum.Backend.Add(earlier, entry, sum);
                    earlier.Dispose();
                    entry.Dispose();
                    entry = sum;
                }
                pending[input] = entry;
            }
            // Each input holds its own view of its gradient now (views share the storage), so the
            // tensors the node returned can go; a storage no input took is freed at once.
            foreach (var g in inputGrads)
                if (g is not null && g.Owner == scope && !ReferenceEquals(g, grad)) g.Dispose();
            grad.Dispose();
        }
    }

    /// <summary>Leaf gradients are owned by the leaf: copied out of the scope the first time, then added in place.</summary>
    private static void AccumulateIntoLeaf(Tensor leaf, Tensor grad)
    {
        if (leaf.Grad is null) leaf.Grad = grad.Clone().Keep();
        else leaf.Grad.Backend.AddScaledInPlace(leaf.Grad, 1.0, grad);
    }

    /// <summary>Tensors reachable from the root through nodes, each after every tensor that depends on it.</summary>
    private static List<Tensor> ReverseTopologicalOrder(Tensor root)
    {
        // Iterative post-order DFS (graphs of deep models would overflow a recursive one),
        // then reversed: post-order puts each tensor after all its inputs.
        var postOrder = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = tensor.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((tensor, next + 1));
                var input = inputs[next];
                if (input is not null && input.RequiresGrad && visited.Add(input))
                {
                    if (input.IsDisposed)
                        throw new ObjectDisposedException($"{tensor.GradFn!.Name} input {next} ({input.Shape}) was disposed before Backward()");
                    stack.Push((input, 0));
                }
                continue;
            }
            postOrder.Add(tensor);
        }
        postOrder.Reverse();
        return postOrder;
    }
}
