using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>
/// The joint loss wA·CE(sentence) + wB·CE(tokens) and its parts (unweighted). A part is null when
/// the batch carried no label for that task: it is absent from <see cref="Total"/>, and its head gets
/// no gradient from this batch.
/// </summary>
public sealed record MultiTaskLoss(Tensor Total, Tensor? SentenceLoss, Tensor? TokenLoss);
