using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.Engine.Demo;

/// <summary>Losses of one training step.</summary>
public readonly record struct DemoStep(int Step, double SentenceLoss, double TokenLoss, double Total, double GradNorm, double LearningRate);

/// <summary>
/// Trains the product model, <see cref="MultiTaskBert"/>, at a miniature size (<see cref="Config"/>: one layer,
/// hidden size 32) on <see cref="SyntheticTwoTaskData"/> on the CPU with the real training recipe in
/// miniature: joint cross-entropy, AdamW with two parameter groups (encoder, heads), global-norm clipping,
/// linear warmup and decay. Each step runs in its own tensor scope, so nothing but parameters, gradients and
/// optimizer moments outlives it.
/// </summary>
public sealed class TwoTaskDemo : IDisposable
{
    private readonly SyntheticTwoTaskData data;
    private readonly AdamW optimizer;
    private readonly LinearWarmupSchedule schedule;
    private int step;

    /// <summary>The miniature BERT: SyntheticTwoTaskData's vocabulary and length, one layer of hidden size 32, two heads.</summary>
    public static BertConfig Config(int maxLength) => new()
    {
        VocabSize = SyntheticTwoTaskData.VocabularySize, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64,
        MaxPositionEmbeddings = maxLength,
    };

    public TwoTaskDemo(int totalSteps = 60, int batchSize = 32, ulong seed = 7)
    {
        data = new SyntheticTwoTaskData(seed);
        Model = new MultiTaskBert(Config(data.MaxLength), SyntheticTwoTaskData.SentenceClasses, SyntheticTwoTaskData.TokenClasses, seed);
        optimizer = new AdamW([
            new ParameterGroup(Model.Encoder.Parameters(), learningRate: 3e-3, weightDecay: 0.01),
            new ParameterGroup(Model.Classifier.Parameters().Concat(Model.TokenClassifier.Parameters()), learningRate: 1e-2, weightDecay: 0.01),
        ]);
        schedule = new LinearWarmupSchedule(warmupSteps: Math.Max(1, totalSteps / 10), totalSteps);
        BatchSize = batchSize;
    }

    public MultiTaskBert Model { get; }
    public int BatchSize { get; }

    public DemoStep TrainStep()
    {
        using var scope = Tensor.Scope();
        using var batch = data.NextBatch(BatchSize);
        Model.Train();
        var loss = Model.Loss(Model.Forward(batch.Ids, batch.AttentionMask), batch.SentenceLabels, batch.TokenLabels);

        optimizer.ZeroGrad();
        loss.Total.Backward();
        double norm = GradientClipping.ClipGradNorm(Model.Parameters(), maxNorm: 1.0);
        schedule.Apply(optimizer, step);
        optimizer.Step();
        return new DemoStep(++step, loss.SentenceLoss!.Item(), loss.TokenLoss!.Item(), loss.Total.Item(), norm, optimizer.Groups[0].LearningRate);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
    }
}
