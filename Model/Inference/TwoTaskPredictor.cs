using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Inference;

/// <summary>
/// Runs the two-task model in inference mode (dropout off, no autograd) over examples, batch by batch,
/// on the device the model's parameters are on (move it with <see cref="ModuleDevice.To"/>). Word tags
/// are read from each word's first sub-token as the chosen <see cref="TagDecoding"/> says (by default the best
/// well-formed BIO sequence, <see cref="BioTagDecoder"/>). A model with a CRF token head decodes each
/// sentence's words with Viterbi (<see cref="CrfViterbi"/>) over its transition scores: constrained, the
/// path may not break BIO; argmax, any path. Words without a token (see <see cref="TokenClassification.FirstTokens"/>)
/// are left out of the sequence and tagged "O".
/// </summary>
public static class TwoTaskPredictor
{
    /// <summary>One prediction per example, in order; the model's training/evaluation mode is restored afterwards.</summary>
    /// <param name="model">The trained model, on the device to predict on.</param>
    /// <param name="collator">The tokenizer and label sets the model was trained with.</param>
    /// <param name="examples">The inputs; their labels, if any, are ignored.</param>
    /// <param name="batchSize">Examples per forward pass, at least 1.</param>
    /// <param name="decoding">How word tags are read off the token scores.</param>
    /// <param name="graphs">The forward pass as CUDA graphs (made by <see cref="CudaGraphs"/> for this model), or null to run it eagerly.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is 0 or negative.</exception>
    public static List<TwoTaskPrediction> Predict(MultiTaskBert model, BatchCollator collator, IReadOnlyList<TwoTaskExample> examples, int batchSize = 32,
        TagDecoding decoding = TagDecoding.Constrained, CudaGraphForward? graphs = null)
    {
        var device = model.DeviceOf();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        bool wasTraining = model.IsTraining;
        var bio = decoding == TagDecoding.Constrained ? BioTagDecoder.TryCreate(collator.TokenLabels.Labels) : null;
        var crf = model.Crf?.HostScores();
        var crfMask = bio?.TransitionMask();
        model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            var predictions = new List<TwoTaskPrediction>(examples.Count);
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = Tensor.Scope();
                var slice = examples.Skip(start).Take(batchSize).ToArray();
                // Labels are not needed to predict: collate without them so unknown labels cannot fail here.
                var unlabelled = slice.Select(e => e with { SentenceLabel = null, Tags = null }).ToArray();
                using var batch = collator.Collate(unlabelled, device);
                var logits = graphs?.TryRun([batch.InputIds, batch.AttentionMask, batch.TokenTypeIds])
                    ?? Logits(model, [batch.InputIds, batch.AttentionMask, batch.TokenTypeIds]);
                float[] sentence = logits[0].ToArray<float>();
                float[] tokens = logits[1].ToArray<float>();
                int classes = model.NumSentenceLabels, tags = model.NumTokenLabels, seq = batch.SequenceLength;
                for (int b = 0; b < slice.Length; b++)
                {
                    var row = sentence.AsSpan(b * classes, classes);
                    int best = ArgMax(row);
                    double probability = Softmax(row, best);
                    var encoding = batch.Encodings[b];
                    int[] firstTokens = TokenClassification.FirstTokens(encoding, slice[b].Words.Length);
                    int[] words = crf is { } scores ? CrfPath(tokens.AsSpan(b * seq * tags, seq * tags), tags, firstTokens, scores, crfMask)
                        : bio is null ? firstTokens.Select(t => t < 0 ? -1 : ArgMax(tokens.AsSpan((b * seq + t) * tags, tags))).ToArray()
                        : bio.Decode(LogSoftmaxRows(tokens.AsSpan(b * seq * tags, seq * tags), tags), firstTokens);
                    string[] wordTags = words.Select(w => w < 0 ? "O" : collator.TokenLabels[w]).ToArray();
                    predictions.Add(new TwoTaskPrediction(collator.SentenceLabels[best], probability, wordTags, encoding));
                }
            }
            return predictions;
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// The forward pass of <paramref name="model"/> as CUDA graphs in <paramref name="mode"/> (<see cref="CudaGraphSteps.Modes"/>),
    /// or null with the reason it runs eagerly (<see cref="CudaGraphForward.Resolve"/>).
    /// </summary>
    public static CudaGraphForward? CudaGraphs(MultiTaskBert model, string mode, out string? reason) =>
        CudaGraphForward.Resolve(mode, model.DeviceOf(), inputs => Logits(model, inputs), out reason);

    /// <summary>The sentence logits [B, C] and token logits [B, S, T] of the batch (input ids, attention mask, token type ids).</summary>
    static Tensor[] Logits(MultiTaskBert model, IReadOnlyList<Tensor> inputs)
    {
        var output = model.Forward(inputs[0], inputs[1], inputs[2]);
        return [output.SentenceLogits, output.TokenLogits];
    }

    /// <summary>
    /// Each word's tag on the CRF's best path (−1 for a word without a token): the emissions are the
    /// token scores of the words' first sub-tokens (<paramref name="tokenScores"/> [S, T] of one sentence).
    /// </summary>
    static int[] CrfPath(ReadOnlySpan<float> tokenScores, int tags, int[] firstTokens, (float[] Transitions, float[] Start, float[] End) crf, CrfTransitionMask? mask)
    {
        int[] present = firstTokens.Where(t => t >= 0).ToArray();
        var emissions = new float[present.Length * tags];
        for (int i = 0; i < present.Length; i++) tokenScores.Slice(present[i] * tags, tags).CopyTo(emissions.AsSpan(i * tags));
        int[] path = CrfViterbi.Decode(emissions, present.Length, crf.Transitions, crf.Start, crf.End, mask);
        var words = new int[firstTokens.Length];
        for (int w = 0, next = 0; w < words.Length; w++) words[w] = firstTokens[w] < 0 ? -1 : path[next++];
        return words;
    }

    static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>log softmax of each row of <paramref name="tags"/> values, in float (the decoder only compares sums).</summary>
    static float[] LogSoftmaxRows(ReadOnlySpan<float> rows, int tags)
    {
        var result = new float[rows.Length];
        for (int start = 0; start < rows.Length; start += tags)
        {
            var row = rows.Slice(start, tags);
            double max = row[ArgMax(row)], sum = 0;
            foreach (float v in row) sum += Math.Exp(v - max);
            double logSum = max + Math.Log(sum);
            for (int t = 0; t < tags; t++) result[start + t] = (float)(row[t] - logSum);
        }
        return result;
    }

    /// <summary>softmax(values)[index], computed stably in double.</summary>
    static double Softmax(ReadOnlySpan<float> values, int index)
    {
        double max = values[ArgMax(values)], sum = 0;
        foreach (float v in values) sum += Math.Exp(v - max);
        return Math.Exp(values[index] - max) / sum;
    }
}
