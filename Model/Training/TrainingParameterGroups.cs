using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;

namespace CudaBert.Model.Training;

/// <summary>
/// AdamW parameter groups of the two-task model: encoder, sentence head and token head (and its CRF, if any), each with
/// its own learning rate (a pretrained encoder usually wants a smaller one than freshly initialised
/// heads), and each split into "decay" and "no decay": biases and LayerNorm weights get no weight
/// decay, as in BERT's original recipe. Frozen parameters stay in their groups; AdamW skips them
/// while they are frozen, so unfreezing on a schedule just works.
/// </summary>
public static class TrainingParameterGroups
{
    /// <summary>
    /// Up to six groups (encoder, sentence head, token head; each with and without decay), then the CRF's
    /// transition scores (with decay, at the token head's rate) when the model has one, with the learning
    /// rates and <see cref="TrainingOptions.WeightDecay"/> of <paramref name="options"/>, in that order; a head
    /// without a rate of its own gets <see cref="TrainingRecipe.HeadLearningRate"/> of <see cref="TrainingOptions.LearningRate"/>.
    /// </summary>
    public static List<ParameterGroup> Build(MultiTaskBert model, TrainingOptions options)
    {
        var groups = new List<ParameterGroup>();
        Add(groups, model.Encoder, options.EncoderLearningRate ?? options.LearningRate, options.WeightDecay);
        double headDefault = TrainingRecipe.HeadLearningRate(options.LearningRate);
        Add(groups, model.Classifier, options.SentenceHeadLearningRate ?? headDefault, options.WeightDecay);
        Add(groups, model.TokenClassifier, options.TokenHeadLearningRate ?? headDefault, options.WeightDecay);
        if (model.Crf is not null) Add(groups, model.Crf, options.TokenHeadLearningRate ?? headDefault, options.WeightDecay);
        return groups;
    }

    /// <summary>True for the parameters BERT fine-tuning exempts from weight decay.</summary>
    public static bool IsNoDecay(string name) =>
        name.EndsWith("bias", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal);

    static void Add(List<ParameterGroup> groups, Module module, double learningRate, double weightDecay)
    {
        var named = module.NamedParameters().ToList();
        List<Tensor> decay = [.. named.Where(p => !IsNoDecay(p.Name)).Select(p => p.Parameter)];
        List<Tensor> noDecay = [.. named.Where(p => IsNoDecay(p.Name)).Select(p => p.Parameter)];
        if (decay.Count > 0) groups.Add(new ParameterGroup(decay, learningRate, weightDecay));
        if (noDecay.Count > 0) groups.Add(new ParameterGroup(noDecay, learningRate, 0.0));
    }
}
