using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Optim;

namespace CudaBert.Tests.Engine.Demo;

/// <summary>Losses of one training step.</summary>
public readonly record struct DemoStep(int Step, double SentenceLoss, double TokenLoss, double Total, double GradNorm, double LearningRate);

/// <summary>Held-out accuracy of both heads (token accuracy over non-padding tokens).</summary>
public readonly record struct DemoAccuracy(double Sentence, double Token);

/// <summary>
/// Trains <see cref="TinyTwoTaskModel"/> on <see cref="SyntheticTwoTaskData"/> on the CPU with the
/// real training recipe in miniature: joint weighted cross-entropy, AdamW with two parameter
/// groups (encoder, heads), global-norm clipping, linear warmup and decay. Each step runs in its
/// own tensor scope, so nothing but parameters, gradients and optimizer moments outlives it.
/// </summary>
public sealed class TwoTaskDemo : IDisposable
{
    private readonly SyntheticTwoTaskData data;
    private readonly AdamW optimizer;
    private readonly LinearWarmupSchedule schedule;
    private int step;

    public TwoTaskDemo(int totalSteps = 60, int batchSize = 32, ulong seed = 7)
    {
        data = new SyntheticTwoTaskData(seed);
        Model = new TinyTwoTaskModel(SyntheticTwoTaskData.VocabularySize, data.MaxLength, hidden: 32, heads: 2,
            SyntheticTwoTaskData.SentenceClasses, SyntheticTwoTaskData.TokenClasses, seed);
        optimizer = new AdamW([
            new ParameterGroup(Model.EncoderParameters(), learningRate: 3e-3, weightDecay: 0.01),
            new ParameterGroup(Model.HeadParameters(), learningRate: 1e-2, weightDecay: 0.01),
        ]);
        schedule = new LinearWarmupSchedule(warmupSteps: Math.Max(1, totalSteps / 10), totalSteps);
        BatchSize = batchSize;
    }

    public TinyTwoTaskModel Model { get; }
    public int BatchSize { get; }
    public double SentenceLossWeight { get; init; } = 1.0;
    public double TokenLossWeight { get; init; } = 1.0;

    public DemoStep TrainStep()
    {
        using var scope = Tensor.Scope();
        using var batch = data.NextBatch(BatchSize);
        Model.Train();
        var (sentenceLogits, tokenLogits) = Model.Forward(batch.Ids, batch.AttentionMask, batch.AdditiveMask);
        var sentenceLoss = Ops.CrossEntropy(sentenceLogits, batch.SentenceLabels);
        var tokenLoss = Ops.CrossEntropy(tokenLogits, batch.TokenLabels, ignoreIndex: SyntheticTwoTaskData.IgnoreIndex);
        var loss = SentenceLossWeight * sentenceLoss + TokenLossWeight * tokenLoss;

        optimizer.ZeroGrad();
        loss.Backward();
        double norm = GradientClipping.ClipGradNorm(Model.Parameters(), maxNorm: 1.0);
        schedule.Apply(optimizer, step);
        optimizer.Step();
        return new DemoStep(++step, sentenceLoss.Item(), tokenLoss.Item(), loss.Item(), norm, optimizer.Groups[0].LearningRate);
    }

    public DemoAccuracy Evaluate(int batchSize = 256)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        using var batch = data.NextBatch(batchSize);
        Model.Eval();
        var (sentenceLogits, tokenLogits) = Model.Forward(batch.Ids, batch.AttentionMask, batch.AdditiveMask);
        double sentence = Accuracy(sentenceLogits.ToFloatArray(), batch.SentenceLabels.ToArray<long>(), SyntheticTwoTaskData.SentenceClasses);
        double token = Accuracy(tokenLogits.ToFloatArray(), batch.TokenLabels.ToArray<long>(), SyntheticTwoTaskData.TokenClasses);
        return new DemoAccuracy(sentence, token);
    }

    private static double Accuracy(float[] logits, long[] labels, int classes)
    {
        int correct = 0, counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == SyntheticTwoTaskData.IgnoreIndex) continue;
            var row = logits.AsSpan(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            counted++;
            if (best == labels[i]) correct++;
        }
        return (double)correct / counted;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
    }
}
