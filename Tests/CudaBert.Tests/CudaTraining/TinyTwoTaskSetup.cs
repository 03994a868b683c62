using CudaBert.Model.Training;
using CudaBert.Tests.Training;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// The smallest two-task setup the software GPU trains in seconds: nine generated assistant commands
/// (three of them without tags, so batches mix labelled and unlabelled examples) and three dev ones,
/// a word-level vocabulary made from them, and a 1-layer BERT with hidden size 16, 2 heads and
/// dropout on (its masks must be the same bits on both devices). Sentences differ in length, so
/// every batch has padding.
/// </summary>
/// <param name="hidden">Hidden size; with 2 heads, 64 gives heads of 32, which the CUDA backend runs as fused attention.</param>
sealed class TinyTwoTaskSetup(int hidden = 16) : TinyTrainingSetup(trainCount: 9, dropout: 0.1, taggedFraction: 2.0 / 3,
    devCount: 3, hidden: hidden, layers: 1, heads: 2, intermediate: 24, maxLength: 16)
{
    /// <summary>Three optimizer steps of batch 3 in one epoch, then an evaluation on dev (and a checkpoint when <paramref name="outName"/> is given).</summary>
    public TrainingOptions Options(string device, string? outName) => new()
    {
        Device = device, Epochs = 1, BatchSize = 3, LearningRate = 3e-3, SentenceHeadLearningRate = 3e-3, TokenHeadLearningRate = 3e-3,
        LengthBucketing = false, WarmupRatio = 0, Seed = 9,
        Out = outName is null ? null : Path.Combine(Folder, outName),
    };
}
