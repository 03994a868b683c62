namespace CudaBert.Engine.Nn;

/// <summary>
/// Dropout active in training mode only. It owns a Philox stream (its seed) and advances the
/// stream's offset by each call's element count, so successive calls draw fresh masks and a run
/// with the same seed replays exactly.
/// </summary>
public sealed class Dropout(double p, ulong seed) : Module
{
    public double P { get; } = p;
    public ulong Seed { get; } = seed;

    /// <summary>Position in the Philox stream where the next mask starts.</summary>
    public ulong Offset { get; set; }

    public Tensor Forward(Tensor x)
    {
        if (!IsTraining || P == 0) return x;
        var y = Ops.Dropout(x, P, Seed, Offset);
        Offset += (ulong)x.NumElements;
        return y;
    }
}
