namespace CudaBert.Engine.Nn;

/// <summary>
/// A linear-chain conditional random field over T tags: the scores of tag-to-tag steps
/// (<c>transitions</c> [T, T], from row to column), of starting (<c>start_transitions</c> [T]) and of
/// ending (<c>end_transitions</c> [T]) a sequence, all zero at first (pytorch-crf's names). On top of
/// per-word emission scores it scores whole tag paths: trained with
/// <see cref="Ops.CrfNegativeLogLikelihood"/>, decoded with <see cref="CrfViterbi"/>.
/// </summary>
public sealed class LinearChainCrf : Module
{
    /// <summary>A CRF over <paramref name="tags"/> tags with every score 0 (so at first it adds nothing to the emissions).</summary>
    public LinearChainCrf(int tags, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tags, 1);
        Transitions = RegisterParameter("transitions", Tensor.Zeros([tags, tags], dtype));
        StartTransitions = RegisterParameter("start_transitions", Tensor.Zeros([tags], dtype));
        EndTransitions = RegisterParameter("end_transitions", Tensor.Zeros([tags], dtype));
    }

    /// <summary>T, the number of tags.</summary>
    public int Tags => StartTransitions.Shape[0];
    /// <summary>[T, T]: the score of tag s followed by tag t at [s, t].</summary>
    public Tensor Transitions { get; }
    /// <summary>[T]: the score of a sequence starting with each tag.</summary>
    public Tensor StartTransitions { get; }
    /// <summary>[T]: the score of a sequence ending with each tag.</summary>
    public Tensor EndTransitions { get; }

    /// <summary>The loss of <paramref name="tags"/> [B, W] (−100 after each sequence's last word) given <paramref name="emissions"/> [B, W, T].</summary>
    public Tensor NegativeLogLikelihood(Tensor emissions, Tensor tags, CrfReduction reduction = CrfReduction.Mean) =>
        Ops.CrfNegativeLogLikelihood(emissions, tags, Transitions, StartTransitions, EndTransitions, reduction);

    /// <summary>The best path of each sequence, on the host: <paramref name="emissions"/> [B, W, T] and each sequence's length (≤ W).</summary>
    public int[][] Decode(Tensor emissions, IReadOnlyList<int> lengths, CrfTransitionMask? allowed = null)
    {
        if (emissions.Rank != 3 || emissions.Shape[2] != Tags || lengths.Count != emissions.Shape[0])
            throw new ArgumentException($"crf decode: emissions {emissions.Shape} must be [{lengths.Count}, words, {Tags}] for {lengths.Count} lengths");
        int words = emissions.Shape[1];
        float[] scores = Floats(emissions);
        var (transitions, start, end) = HostScores();
        var paths = new int[lengths.Count][];
        for (int b = 0; b < paths.Length; b++)
        {
            if (lengths[b] < 0 || lengths[b] > words)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"crf decode: sequence {b} has length {lengths[b]}, outside [0, {words}]");
            paths[b] = CrfViterbi.Decode(scores.AsSpan(b * words * Tags, words * Tags), lengths[b], transitions, start, end, allowed);
        }
        return paths;
    }

    /// <summary>Host copies (float32) of the transition, start and end scores, for <see cref="CrfViterbi"/>.</summary>
    public (float[] Transitions, float[] Start, float[] End) HostScores() => (Floats(Transitions), Floats(StartTransitions), Floats(EndTransitions));

    static float[] Floats(Tensor x) => Array.ConvertAll(x.ToDoubleArray(), v => (float)v);
}
