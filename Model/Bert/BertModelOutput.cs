using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>What <see cref="BertModel.Forward"/> returns: the last layer's hidden states [B, S, H] and, with a pooler, tanh(dense(h[CLS])) [B, H].</summary>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput);
