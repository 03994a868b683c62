using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// Per-task oversampling for when one task has far less labelled data than the other (e.g. 10,000
/// intent-labelled sentences but 500 with slot tags). Each draw picks a task with probability
/// proportional to its weight, then an example that carries that task's labels uniformly: the
/// scarce task is seen as often as its weight says, at the price of repeating its examples.
/// </summary>
/// <remarks>
/// As per-example weights: w(e) = Σ over the tasks t that e carries of weight_t / n_t, with n_t the
/// number of examples carrying t. An example with both labels can be drawn through either task.
/// </remarks>
public static class TaskOversampling
{
    /// <summary>One sampling weight per example (see the remarks), for a <see cref="WeightedRandomSampler"/>.</summary>
    /// <param name="examples">The training examples.</param>
    /// <param name="sentenceTaskWeight">Relative share of draws through the sentence task, ≥ 0.</param>
    /// <param name="tokenTaskWeight">Relative share of draws through the token task, ≥ 0.</param>
    /// <exception cref="ArgumentException">A weight is negative, both are 0, or a task with a weight has no example.</exception>
    public static double[] ExampleWeights(IReadOnlyList<TwoTaskExample> examples, double sentenceTaskWeight, double tokenTaskWeight)
    {
        if (sentenceTaskWeight < 0 || tokenTaskWeight < 0 || sentenceTaskWeight + tokenTaskWeight <= 0)
            throw new ArgumentException($"task weights must be ≥ 0 and not both 0 (got sentence {sentenceTaskWeight}, token {tokenTaskWeight})");
        int withSentence = examples.Count(e => e.HasSentenceLabel);
        int withTags = examples.Count(e => e.HasTags);
        if (sentenceTaskWeight > 0 && withSentence == 0)
            throw new ArgumentException("the sentence task has a weight but no example carries a sentence label");
        if (tokenTaskWeight > 0 && withTags == 0)
            throw new ArgumentException("the token task has a weight but no example carries tags");

        var weights = new double[examples.Count];
        for (int i = 0; i < weights.Length; i++)
        {
            if (examples[i].HasSentenceLabel && sentenceTaskWeight > 0) weights[i] += sentenceTaskWeight / withSentence;
            if (examples[i].HasTags && tokenTaskWeight > 0) weights[i] += tokenTaskWeight / withTags;
        }
        return weights;
    }
}
