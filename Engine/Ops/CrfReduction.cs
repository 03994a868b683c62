namespace CudaBert.Engine;

/// <summary>How <see cref="Ops.CrfNegativeLogLikelihood"/> combines the losses of a batch's sequences.</summary>
public enum CrfReduction
{
    /// <summary>The mean over sequences (each sequence counts once, whatever its length). The default.</summary>
    Mean,

    /// <summary>The sum over sequences.</summary>
    Sum,
}
