namespace CudaBert.Engine;

// Mixed precision's bfloat16 copy of a float32 parameter (the master weight).
public sealed partial class Tensor
{
    /// <summary>
    /// The bfloat16 copy of this float32 parameter that bf16 matrix products read
    /// (<see cref="Backends.MatmulPrecision.Bf16"/>), or null before the first such product. Owned by this
    /// tensor (disposed with it). <see cref="Optim.AdamW"/> rewrites it in the same pass as each update, and
    /// <see cref="CopyFrom(Tensor)"/> / <see cref="CopyFrom{T}"/> and <see cref="MoveTo"/> drop it; a
    /// parameter changed in place any other way must call <see cref="DropBFloat16Copy"/>.
    /// </summary>
    public Tensor? BFloat16Copy { get; private set; }

    /// <summary>
    /// <see cref="BFloat16Copy"/>, made now (this tensor's values rounded to nearest even) when there is none.
    /// Not recorded by autograd.
    /// </summary>
    public Tensor EnsureBFloat16Copy()
    {
        if (DType != DType.Float32)
            throw new InvalidOperationException($"a bfloat16 copy is kept of float32 parameters, not of this {DType} tensor {Shape}");
        if (BFloat16Copy is null)
        {
            var copy = Empty(Shape, DType.BFloat16, Device).Keep();
            Backend.Cast(this, copy);
            BFloat16Copy = copy;
        }
        return BFloat16Copy;
    }

    /// <summary>Frees <see cref="BFloat16Copy"/>; the next bf16 product makes a new one from the current values.</summary>
    public void DropBFloat16Copy()
    {
        BFloat16Copy?.Dispose();
        BFloat16Copy = null;
    }
}
