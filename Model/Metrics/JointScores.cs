namespace CudaBert.Model.Metrics;

/// <summary>
/// The evaluation of a two-task model: intent (sentence) scores, slot (entity) scores and the
/// sentence-level exact-frame accuracy — the share of sentences whose intent is right and whose
/// every slot tag is right (JointBERT's "sementic frame accuracy").
/// </summary>
public sealed record JointScores(ClassificationScores Intent, EntityScores Slots, double SentenceAccuracy, int Examples)
{
    public static JointScores Compute(
        IReadOnlyList<string> goldIntents, IReadOnlyList<string> predictedIntents,
        IReadOnlyList<IReadOnlyList<string>> goldTags, IReadOnlyList<IReadOnlyList<string>> predictedTags)
    {
        if (goldIntents.Count != goldTags.Count)
            throw new ArgumentException($"{goldIntents.Count} intents but {goldTags.Count} tag sequences");
        var intent = ClassificationScores.Compute(goldIntents, predictedIntents);
        var slots = EntityScores.Compute(goldTags, predictedTags);
        int frames = 0;
        for (int i = 0; i < goldIntents.Count; i++)
            if (goldIntents[i] == predictedIntents[i] && goldTags[i].SequenceEqual(predictedTags[i]))
                frames++;
        return new JointScores(intent, slots, (double)frames / goldIntents.Count, goldIntents.Count);
    }
}
