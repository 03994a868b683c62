using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>
/// The targets of a CRF token head for one batch: one row per example with tags (N ≤ B), one column
/// per word that has a token (W = the most such words in a row). <see cref="FirstTokens"/>[n, w] is the
/// row of word w's first sub-token in the token logits seen as [B·S, T] (so a gather picks the words'
/// emissions [N, W, T]); <see cref="Tags"/>[n, w] is its tag, −100 after the row's last word (where
/// <see cref="FirstTokens"/> holds 0, a row whose gradient is then 0). Index dtype: as the batch's labels.
/// </summary>
public sealed class WordTagTargets(Tensor firstTokens, Tensor tags) : IDisposable
{
    /// <summary>[N, W] rows of the words' first sub-tokens in the flattened [B·S] token axis.</summary>
    public Tensor FirstTokens { get; } = firstTokens;
    /// <summary>[N, W] the words' tag ids, −100 after each row's last word.</summary>
    public Tensor Tags { get; } = tags;

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        FirstTokens.Dispose();
        Tags.Dispose();
    }
}
