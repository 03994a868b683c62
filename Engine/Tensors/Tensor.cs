using CudaBert.Engine.Autograd;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Memory;

namespace CudaBert.Engine;

/// <summary>
/// A dense, contiguous, row-major n-dimensional array on a <see cref="Device"/>, with the
/// bookkeeping autograd needs (<see cref="RequiresGrad"/>, <see cref="Grad"/>, the node that made it).
/// <para>
/// Lifetime: a tensor is created inside the current <see cref="TensorScope"/> (if any) and is
/// disposed with it; <see cref="Dispose"/> releases it earlier. Views (<see cref="Reshape"/>,
/// <see cref="Detach"/>) are separate tensors over the same reference-counted storage.
/// </para>
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage storage;   // replaced only by MoveTo
    private bool requiresGrad;
    private bool disposed;
    private bool valuesReleased;   // see ReleaseValues

    private Tensor(Storage storage, Shape shape, DType dtype)
    {
        this.storage = storage;
        Shape = shape;
        DType = dtype;
        MemoryStats.OnTensorCreated();
        Owner = TensorScope.Current;
        Owner?.Adopt(this);
    }

    /// <summary>A new tensor with uninitialized contents.</summary>
    public static Tensor Empty(Shape shape, DType dtype = DType.Float32, Device device = Device.Cpu)
    {
        var backend = Backends.Backend.For(device);
        return new Tensor(backend.Allocate(shape.NumElements * dtype.SizeInBytes()), shape, dtype);
    }

    /// <summary>The dimensions, outermost first (row-major).</summary>
    public Shape Shape { get; }
    /// <summary>The element type.</summary>
    public DType DType { get; }
    /// <summary>Where the storage lives (CPU or CUDA).</summary>
    public Device Device => storage.Device;
    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long NumElements => Shape.NumElements;
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;
    /// <summary>Size of the elements in bytes: <see cref="NumElements"/> × the dtype's size.</summary>
    public long ByteLength => NumElements * DType.SizeInBytes();

    /// <summary>The storage under this tensor (shared with its views). For backends.</summary>
    public Storage Storage => disposed ? throw new ObjectDisposedException($"tensor {Shape} {DType}")
        : valuesReleased ? throw new ObjectDisposedException($"tensor {Shape} {DType}: its values were released (ReleaseValues) after the forward pass last read them")
        : storage;

    /// <summary>The backend that computes on this tensor's device.</summary>
    public IBackend Backend => Backends.Backend.For(Device);

    /// <summary>True after <see cref="Dispose"/>; the tensor can no longer be read.</summary>
    public bool IsDisposed => disposed;

    /// <summary>The scope that will dispose this tensor, or null when the caller owns it.</summary>
    public TensorScope? Owner { get; private set; }

    /// <summary>The autograd node that produced this tensor; null for leaves (inputs, parameters).</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True when no recorded op produced this tensor (inputs, parameters, results under no-grad).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// Whether gradients flow to this tensor. Set it on leaves (inputs, parameters); results of ops
    /// get it automatically when any input has it and <see cref="GradMode"/> is enabled.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (!IsLeaf) throw new InvalidOperationException($"RequiresGrad can only be set on a leaf tensor; this {Shape} tensor was made by {GradFn!.Name} (use Detach())");
            if (value && !DType.IsFloatingPoint()) throw new InvalidOperationException($"a {DType} tensor cannot require a gradient");
            requiresGrad = value;
        }
    }

    internal void MarkRequiresGrad() => requiresGrad = true;

    /// <summary>
    /// Accumulated gradient of a leaf after <see cref="Backward"/>; owned by this tensor (disposed
    /// with it) and summed over successive backward passes until <see cref="ZeroGrad"/>.
    /// </summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>Drops the accumulated gradient (as PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>
    /// Backpropagates from this scalar; see <see cref="BackwardPass"/>. <paramref name="leafGradientDone"/>, if
    /// given, is called with each leaf as soon as this pass has finished adding to its gradient.
    /// </summary>
    public void Backward(Action<Tensor>? leafGradientDone = null) => BackwardPass.Run(this, leafGradientDone);

    /// <summary>Opens a scope that owns every tensor created on this thread until it is disposed.</summary>
    public static TensorScope Scope() => TensorScope.Begin();

    /// <summary>Takes this tensor out of its scope: the caller now owns it and must dispose it.</summary>
    public Tensor Keep()
    {
        Owner = null;
        return this;
    }

    /// <summary>Hands this tensor to the scope enclosing its current one (or to the caller at the top).</summary>
    public Tensor MoveToOuterScope()
    {
        if (Owner is null) return this;
        Owner = Owner.Outer;
        Owner?.Adopt(this);
        return this;
    }

    /// <summary>A new tensor over the same storage, with another shape of the same element count.</summary>
    internal Tensor ViewAs(Shape shape)
    {
        if (shape.NumElements != NumElements)
            throw new ArgumentException($"view of {Shape} as {shape}: element counts differ");
        Storage.AddReference();
        return new Tensor(storage, shape, DType);
    }

    /// <summary>A new tensor over the same storage that is cut from the graph and needs no gradient.</summary>
    public Tensor Detach() => ViewAs(Shape);

    /// <summary>
    /// Releases this tensor's reference to its storage (freed with the last view) and its gradient, and
    /// takes it out of its scope. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Owner = null;
        Grad?.Dispose();
        Grad = null;
        DropBFloat16Copy();
        GradFn = null;
        if (!valuesReleased) storage.Release();
        MemoryStats.OnTensorDisposed();
    }

    /// <summary>Shape, dtype and device, e.g. <c>Tensor[2, 3] Float32 on Cpu requires_grad</c>; never the values.</summary>
    public override string ToString() => $"Tensor{Shape} {DType} on {Device}" + (RequiresGrad ? " requires_grad" : "");
}
