using System.Numerics;

namespace CudaBert.Engine.Cpu;

// Linear-chain CRF negative log-likelihood: forward-backward per sequence (CrfForwardBackward), in float64.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void CrfNegativeLogLikelihood(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor loss) =>
        ByFloatType(emissions, () => CrfLoss<float>(emissions, tags, transitions, start, end, scale, loss),
            () => CrfLoss<double>(emissions, tags, transitions, start, end, scale, loss), nameof(CrfNegativeLogLikelihood));

    /// <inheritdoc/>
    public void CrfNegativeLogLikelihoodBackward(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor dloss,
        Tensor demissions, Tensor dtransitions, Tensor dstart, Tensor dend) =>
        ByFloatType(emissions, () => CrfGradient<float>(emissions, tags, transitions, start, end, scale, dloss, demissions, dtransitions, dstart, dend),
            () => CrfGradient<double>(emissions, tags, transitions, start, end, scale, dloss, demissions, dtransitions, dstart, dend), nameof(CrfNegativeLogLikelihoodBackward));

    // One sequence per row of the batch; rows run in parallel and their losses add in row order.
    private static void CrfLoss<T>(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = emissions.Shape[0], words = emissions.Shape[1], tagCount = emissions.Shape[2];
        long[] paths = tags.IndicesAsLongs();
        int[] lengths = CrfLengths(paths, batch, words, tagCount);
        double[] e = Doubles<T>(emissions);
        var crf = new CrfForwardBackward(Doubles<T>(transitions), Doubles<T>(start), Doubles<T>(end));
        var nll = new double[batch];
        ParallelRows(batch, (long)words * tagCount * tagCount, (first, last) =>
        {
            var alpha = new double[words * tagCount];
            for (int b = first; b < last; b++)
            {
                var sequence = e.AsSpan(b * words * tagCount, words * tagCount);
                nll[b] = crf.LogPartition(sequence, lengths[b], alpha) - crf.Score(sequence, paths.AsSpan(b * words, words), lengths[b]);
            }
        });
        double sum = 0;
        foreach (double value in nll) sum += value;
        loss.AsSpan<T>()[0] = Cast<T>(scale * sum);
    }

    // Each row writes its own slice of demissions and its own partial transition/start/end gradients;
    // the partials add in row order, so the result does not depend on the thread schedule.
    private static void CrfGradient<T>(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor dloss,
        Tensor demissions, Tensor dtransitions, Tensor dstart, Tensor dend) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = emissions.Shape[0], words = emissions.Shape[1], tagCount = emissions.Shape[2];
        long[] paths = tags.IndicesAsLongs();
        int[] lengths = CrfLengths(paths, batch, words, tagCount);
        double[] e = Doubles<T>(emissions);
        var crf = new CrfForwardBackward(Doubles<T>(transitions), Doubles<T>(start), Doubles<T>(end));
        double g = scale * double.CreateTruncating(dloss.AsSpan<T>()[0]);
        int pairs = tagCount * tagCount;
        var de = new double[e.Length];
        var partials = new double[batch * (pairs + 2 * tagCount)];   // per row: dtransitions, dstart, dend
        ParallelRows(batch, 3L * words * tagCount * tagCount, (first, last) =>
        {
            double[] alpha = new double[words * tagCount], beta = new double[words * tagCount];
            for (int b = first; b < last; b++)
            {
                var sequence = e.AsSpan(b * words * tagCount, words * tagCount);
                var path = paths.AsSpan(b * words, words);
                double logPartition = crf.LogPartition(sequence, lengths[b], alpha);
                crf.Backward(sequence, lengths[b], beta);
                var partial = partials.AsSpan(b * (pairs + 2 * tagCount), pairs + 2 * tagCount);
                crf.AddGradient(sequence, path, lengths[b], alpha, beta, logPartition, g, de.AsSpan(b * words * tagCount, words * tagCount),
                    partial[..pairs], partial.Slice(pairs, tagCount), partial.Slice(pairs + tagCount, tagCount));
            }
        });
        var sums = new double[pairs + 2 * tagCount];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < sums.Length; j++) sums[j] += partials[b * sums.Length + j];
        WriteDoubles(de, demissions.AsSpan<T>());
        WriteDoubles(sums.AsSpan(0, pairs), dtransitions.AsSpan<T>());
        WriteDoubles(sums.AsSpan(pairs, tagCount), dstart.AsSpan<T>());
        WriteDoubles(sums.AsSpan(pairs + tagCount, tagCount), dend.AsSpan<T>());
    }

    /// <summary>Each row's length: its leading run of tags in [0, T); the rest of the row must be −100.</summary>
    private static int[] CrfLengths(long[] tags, int batch, int words, int tagCount)
    {
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int length = 0;
            for (int w = 0; w < words; w++)
            {
                long tag = tags[b * words + w];
                if (tag == CrfPadding) continue;
                if ((ulong)tag >= (ulong)tagCount)
                    throw new IndexOutOfRangeException($"crf: tag {tag} at row {b}, word {w} is outside [0, {tagCount}) and is not the padding {CrfPadding}");
                if (length != w)
                    throw new ArgumentException($"crf: tags row {b} has tag {tag} at word {w} after padding ({CrfPadding}): padding may only follow a sequence's last word");
                length++;
            }
            if (length == 0)
                throw new ArgumentException($"crf: tags row {b} is all padding ({CrfPadding}): every sequence needs at least one word (leave such rows out of the batch)");
            lengths[b] = length;
        }
        return lengths;
    }

    /// <summary>The tag that marks the words after a sequence's end.</summary>
    private const long CrfPadding = -100;

    private static double[] Doubles<T>(Tensor x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> values = x.AsSpan<T>();
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = double.CreateTruncating(values[i]);
        return result;
    }

    private static void WriteDoubles<T>(ReadOnlySpan<double> values, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++) destination[i] = Cast<T>(values[i]);
    }
}
