using CudaBert.Model.Bert;

namespace CudaBert.Model.Training;

/// <summary>
/// Applies the freeze rules before each optimizer step: everything trainable, then every rule
/// active at (step, epoch) freezes its part. A frozen part records no autograd work at all (the
/// engine records nothing for ops whose inputs need no gradient), so a frozen encoder costs only its
/// forward pass.
/// </summary>
public sealed class FreezeController
{
    readonly MultiTaskBert _model;
    readonly IReadOnlyList<FreezeRule> _rules;

    /// <summary>A controller for <paramref name="model"/>'s parts; <paramref name="rules"/> are checked against the model now.</summary>
    /// <exception cref="ArgumentException">A <c>bottom-K</c> rule names more layers than the encoder has.</exception>
    public FreezeController(MultiTaskBert model, IReadOnlyList<FreezeRule> rules)
    {
        int layers = model.Encoder.Encoder.Layers.Count;
        foreach (var rule in rules)
            if (rule.Target == FreezeTarget.BottomLayers && rule.Layers > layers)
                throw new ArgumentException($"freeze rule '{rule}': the encoder has only {layers} layers");
        _model = model;
        _rules = rules;
    }

    /// <summary>
    /// Sets which parts are trainable at optimizer step <paramref name="step"/> of epoch <paramref name="epoch"/> (both from 0):
    /// everything is unfrozen, then each active rule freezes its target. Without rules it changes nothing.
    /// </summary>
    public void Apply(int step, int epoch)
    {
        if (_rules.Count == 0) return;
        _model.Unfreeze();
        foreach (var rule in _rules)
        {
            if (!rule.IsFrozen(step, epoch)) continue;
            switch (rule.Target)
            {
                case FreezeTarget.Encoder:
                    _model.Encoder.Freeze();
                    break;
                case FreezeTarget.BottomLayers:
                    _model.Encoder.Embeddings.Freeze();
                    for (int i = 0; i < rule.Layers; i++) _model.Encoder.Encoder.Layers[i].Freeze();
                    break;
                case FreezeTarget.SentenceHead:
                    _model.Classifier.Freeze();
                    break;
                case FreezeTarget.TokenHead:
                    _model.TokenClassifier.Freeze();
                    _model.Crf?.Freeze();
                    break;
            }
        }
    }
}
