namespace CudaBert.Engine;

// The softmax of attention.
public static partial class Ops
{
    /// <summary>
    /// softmax(scores·scale + mask) over the last axis, as BERT's attention computes it:
    /// scores [B, …, Sk]; mask (optional) additive [B, Sk], broadcast over heads and queries
    /// (0 to attend, a large negative number such as −10000 or float.MinValue to block).
    /// </summary>
    public static Tensor ScaledMaskedSoftmax(Tensor scores, Tensor? mask, double scale)
    {
        CheckFloat("scaled_masked_softmax", scores, "scores");
        if (mask is not null)
        {
            CheckCompatible("scaled_masked_softmax", scores, mask, "mask");
            if (scores.Rank < 2 || mask.Rank != 2 || mask.Shape[0] != scores.Shape[0] || mask.Shape[1] != scores.Shape.Last)
                throw new ArgumentException($"scaled_masked_softmax: mask {mask.Shape} must be [batch, keys] = [{(scores.Rank > 0 ? scores.Shape[0] : 0)}, {scores.Shape.Last}] for scores {scores.Shape}");
        }
        var probs = EmptyLike(scores);
        probs.Backend.ScaledMaskedSoftmax(scores, mask, scale, probs);
        return Record(probs, "scaled_masked_softmax", [scores], dp =>
        {
            var dscores = EmptyLike(scores);
            dscores.Backend.ScaledMaskedSoftmaxBackward(probs, dp, scale, dscores);
            return [dscores];
        });
    }

    /// <summary>softmax over the last axis.</summary>
    public static Tensor Softmax(Tensor x) => ScaledMaskedSoftmax(x, null, 1.0);
}
