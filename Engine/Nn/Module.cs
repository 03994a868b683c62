using CudaBert.Engine.Memory;

namespace CudaBert.Engine.Nn;

/// <summary>
/// A building block of a model: it owns parameters (leaf tensors that require gradients, outside
/// any scope, disposed with the module) and child modules, each under a name. Names compose with
/// dots as in PyTorch and Hugging Face: a parameter "weight" of child "query" of child "self" reads
/// <c>self.query.weight</c>. Each module defines its own <c>Forward</c> with the arguments it needs.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Parameter)> parameters = [];
    private readonly List<(string Name, Module Child)> children = [];
    private bool disposed;

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Registers a parameter: takes it out of any scope (the module owns it now) and makes it require gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        CheckName(name);
        parameter.Keep();
        parameter.RequiresGrad = true;
        parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers <paramref name="child"/> under <paramref name="name"/> (non-empty, no dots, unique in this
    /// module): its parameters are then listed, trained and disposed with this module's. Returns the child.
    /// </summary>
    protected T RegisterModule<T>(string name, T child) where T : Module
    {
        CheckName(name);
        children.Add((name, child));
        return child;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"parameter or module name '{name}' must be non-empty and contain no '.'");
        if (parameters.Any(p => p.Name == name) || children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'");
    }

    /// <summary>Every parameter of this module and its descendants with its dotted name, depth first in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in parameters) yield return (prefix + name, p);
        foreach (var (name, child) in children)
            foreach (var entry in child.NamedParameters(prefix + name + "."))
                yield return entry;
    }

    /// <summary>Every parameter of this module and its descendants, in the order of <see cref="NamedParameters"/>.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children;

    /// <summary>This module and all its descendants, depth first in registration order.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var (_, child) in children)
            foreach (var module in child.Modules())
                yield return module;
    }

    /// <summary>Training mode for this module and all descendants.</summary>
    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in children) child.Train(training);
    }

    /// <summary>Evaluation mode (dropout off) for this module and all descendants.</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// Stops gradients for every parameter here and below: ops on them record nothing, so a frozen
    /// encoder costs no backward pass at all. Their accumulated gradients are dropped.
    /// </summary>
    public void Freeze()
    {
        foreach (var p in Parameters())
        {
            p.RequiresGrad = false;
            p.ZeroGrad();
        }
    }

    /// <summary>Undoes <see cref="Freeze"/>: every parameter here and below requires gradients again.</summary>
    public void Unfreeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = true;
    }

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount() => Parameters().Sum(p => p.NumElements);

    /// <summary>
    /// Disposes every parameter (and its gradient) and every child, then gives the CPU memory pool's
    /// cached blocks back to the OS (<see cref="CpuMemoryPool.Trim"/>): a process that loads one
    /// model after another does not keep the previous one's memory.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        Release();
        CpuMemoryPool.Trim();
        GC.SuppressFinalize(this);
    }

    void Release()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, p) in parameters) p.Dispose();
        foreach (var (_, child) in children) child.Release();
    }
}
