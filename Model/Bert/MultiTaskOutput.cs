using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>
/// One forward pass of <see cref="MultiTaskBert"/>: sentence logits [B, sentence labels] (task A),
/// token logits [B, S, token labels] (task B), and the encoder's last hidden states [B, S, H].
/// </summary>
public sealed record MultiTaskOutput(Tensor SentenceLogits, Tensor TokenLogits, Tensor LastHiddenState);
