namespace CudaBert.Engine;

// Linear-chain conditional random field.
public static partial class Ops
{
    /// <summary>
    /// The negative log-likelihood of tag sequences under a linear-chain CRF, as pytorch-crf's
    /// <c>-CRF(emissions, tags, mask, reduction)</c>: for each sequence, log Z − score(tags), where
    /// score(y) = start[y₀] + Σᵢ emissions[i, yᵢ] + Σ_{i≥1} transitions[yᵢ₋₁, yᵢ] + end[y_{L−1}] and Z sums
    /// exp score over every tag path of the sequence's length (forward algorithm). The backward pass is
    /// the forward-backward algorithm: each gradient is a marginal probability minus the observed one-hot.
    /// </summary>
    /// <param name="emissions">[B, W, T] scores of each word's tags (floating point).</param>
    /// <param name="tags">[B, W] Int32/Int64: each row the sequence's tags in [0, T), then −100 (padding) up to W.
    /// A row must hold at least one tag: an all-padding row is refused (ArgumentException on the CPU; NaN on CUDA).</param>
    /// <param name="transitions">[T, T] score of tag s followed by tag t at [s, t].</param>
    /// <param name="startTransitions">[T] score of a sequence starting with each tag.</param>
    /// <param name="endTransitions">[T] score of a sequence ending with each tag.</param>
    /// <param name="reduction">Mean (default) or sum over the B sequences.</param>
    /// <returns>A scalar.</returns>
    public static Tensor CrfNegativeLogLikelihood(Tensor emissions, Tensor tags, Tensor transitions, Tensor startTransitions, Tensor endTransitions,
        CrfReduction reduction = CrfReduction.Mean)
    {
        const string op = "crf_negative_log_likelihood";
        CheckFloat(op, emissions, "emissions");
        CheckIndex(op, tags, "tags");
        if (emissions.Rank != 3 || emissions.Shape[0] == 0 || emissions.Shape[1] == 0 || emissions.Shape[2] == 0)
            throw new ArgumentException($"{op}: emissions {emissions.Shape} must be [batch, words, tags], none of them 0");
        int batch = emissions.Shape[0], words = emissions.Shape[1], tagCount = emissions.Shape[2];
        if (tags.Shape != new Shape(batch, words))
            throw new ArgumentException($"{op}: tags {tags.Shape} must be [{batch}, {words}], the emissions' {emissions.Shape} without the tag axis");
        if (tags.Device != emissions.Device)
            throw new ArgumentException($"{op}: tags are on {tags.Device}, emissions on {emissions.Device}");
        foreach (var (parameter, name, shape) in new[] { (transitions, "transitions", new Shape(tagCount, tagCount)),
                     (startTransitions, "start transitions", new Shape(tagCount)), (endTransitions, "end transitions", new Shape(tagCount)) })
        {
            CheckFloat(op, parameter, name);
            CheckCompatible(op, emissions, parameter, name);
            if (parameter.Shape != shape) throw new ArgumentException($"{op}: {name} {parameter.Shape} must be {shape} for {tagCount} tags");
        }
        double scale = reduction == CrfReduction.Mean ? 1.0 / batch : 1.0;
        var loss = Tensor.Empty([], emissions.DType, emissions.Device);
        loss.Backend.CrfNegativeLogLikelihood(emissions, tags, transitions, startTransitions, endTransitions, scale, loss);
        return Record(loss, "crf_negative_log_likelihood", [emissions, transitions, startTransitions, endTransitions], dloss =>
        {
            Tensor demissions = EmptyLike(emissions), dtransitions = EmptyLike(transitions), dstart = EmptyLike(startTransitions), dend = EmptyLike(endTransitions);
            demissions.Backend.CrfNegativeLogLikelihoodBackward(emissions, tags, transitions, startTransitions, endTransitions, scale, dloss,
                demissions, dtransitions, dstart, dend);
            return [demissions, dtransitions, dstart, dend];
        });
    }
}
