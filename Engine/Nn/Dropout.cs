namespace CudaBert.Engine.Nn;

/// <summary>
/// Dropout active in training mode only. It owns a Philox stream (its seed) and advances the
/// stream's offset by each call's element count, so successive calls draw fresh masks and a run
/// with the same seed replays exactly.
/// </summary>
public sealed class Dropout(double p, ulong seed) : Module
{
    /// <summary>Probability in [0, 1] of zeroing each element; kept ones are scaled by 1/(1 − P). 0 turns the layer off.</summary>
    public double P { get; } = p;
    /// <summary>The Philox key of this layer's masks (settable so a resumed run can restore it).</summary>
    public ulong Seed { get; set; } = seed;

    /// <summary>Position in the Philox stream where the next mask starts.</summary>
    public ulong Offset { get; set; }

    /// <summary>
    /// In training mode, <paramref name="x"/> with a fresh random mask applied (a new tensor, same shape); in
    /// evaluation mode or with <see cref="P"/> = 0, <paramref name="x"/> itself.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        if (!IsTraining || P == 0) return x;
        var y = Ops.Dropout(x, P, Seed, Offset);
        Offset += (ulong)x.NumElements;
        return y;
    }
}
