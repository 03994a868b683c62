namespace CudaBert.Engine;

// Losses.
public static partial class Ops
{
    /// <summary>
    /// <c>torch.nn.functional.cross_entropy</c> with mean reduction: logits [N, C] (or [..., C]),
    /// targets [N] (or [...]) Int32/Int64 class indices; rows whose target is
    /// <paramref name="ignoreIndex"/> do not count; with <paramref name="weight"/> [C] the mean is
    /// weighted: Σ w[t]·ℓ / Σ w[t]. Every row ignored gives NaN, as in PyTorch. Result is a scalar.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor? weight = null, long ignoreIndex = -100)
    {
        CheckFloat("cross_entropy", logits, "logits");
        CheckIndex("cross_entropy", targets, "targets");
        int classes = logits.Shape.Last;
        if (logits.Rank < 2 || targets.NumElements != logits.Shape.Rows || targets.Shape != new Shape(logits.Shape.Dims[..^1].ToArray()))
            throw new ArgumentException($"cross_entropy: targets {targets.Shape} must be the logits' shape {logits.Shape} without its class axis");
        if (weight is not null)
        {
            CheckCompatible("cross_entropy", logits, weight, "weight");
            if (weight.Shape != new Shape(classes))
                throw new ArgumentException($"cross_entropy: class weights {weight.Shape} must be [{classes}]");
        }
        using var logits2 = logits.ViewAs([(int)logits.Shape.Rows, classes]);
        var loss = Tensor.Empty([], logits.DType, logits.Device);
        loss.Backend.CrossEntropy(logits2, targets, weight, ignoreIndex, loss);
        return Record(loss, "cross_entropy", [logits], dloss =>
        {
            using var rows = logits.ViewAs([(int)logits.Shape.Rows, classes]);
            var dlogits = Tensor.Empty(rows.Shape, logits.DType, logits.Device);
            dlogits.Backend.CrossEntropyBackward(rows, targets, weight, ignoreIndex, dloss, dlogits);
            return [dlogits.ViewAs(logits.Shape)];
        });
    }
}
