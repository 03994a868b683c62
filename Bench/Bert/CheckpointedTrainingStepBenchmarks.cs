using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Optim;
using CudaBert.Engine.Random;
using CudaBert.Model;
using CudaBert.Model.Bert;

namespace CudaBert.Bench.Bert;

/// <summary>
/// What gradient checkpointing costs in time: one multi-task BERT training step on the CPU (forward, both losses,
/// backward, AdamW, zero_grad) with and without it, on a small model (hidden 256, 4 layers, 4 heads, intermediate
/// 1024, dropout on), batch 16 of 64 tokens, random init and data. Printed at cleanup: the process's CPU time per step
/// (user + system, all threads, over every step run: steadier than the wall clock on a machine shared with other
/// work) and the peak of live bytes of the last step. <c>dotnet run -c Release --project Bench -- --filter '*CheckpointedTrainingStep*'</c>
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 15)]
public class CheckpointedTrainingStepBenchmarks
{
    private const int Batch = 16, Seq = 64, Vocab = 1000;

    private MultiTaskBert model = null!;
    private AdamW optimizer = null!;
    private Tensor ids = null!, mask = null!, sentenceLabels = null!, tokenLabels = null!;
    private long peakBytes;
    private TimeSpan processorTime;
    private int steps;

    [Params(false, true)]
    public bool GradientCheckpointing { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = new BertConfig { VocabSize = Vocab, HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024, MaxPositionEmbeddings = Seq };
        model = new MultiTaskBert(config, numSentenceLabels: 7, numTokenLabels: 20, seed: 7) { GradientCheckpointing = GradientCheckpointing };
        optimizer = new AdamW(model.Parameters(), learningRate: 5e-5);
        var generator = new Generator(3);
        ids = Tensor.FromArray([.. Enumerable.Range(0, Batch * Seq).Select(_ => 1 + generator.NextInt(Vocab - 1))], [Batch, Seq]).Keep();
        // Sentence b keeps its first Seq − 2b tokens: every batch has padding, as length-bucketed batches do.
        mask = Tensor.FromArray([.. Enumerable.Range(0, Batch * Seq).Select(i => i % Seq < Seq - 2 * (i / Seq) ? 1 : 0)], [Batch, Seq]).Keep();
        sentenceLabels = Tensor.FromArray([.. Enumerable.Range(0, Batch).Select(_ => generator.NextInt(7))], [Batch]).Keep();
        tokenLabels = Tensor.FromArray([.. Enumerable.Range(0, Batch * Seq).Select(_ => generator.NextInt(20))], [Batch, Seq]).Keep();
    }

    [Benchmark(Description = "training step (CPU)")]
    public void Step()
    {
        MemoryStats.ResetPeak();
        long before = MemoryStats.LiveBytes;
        var processorAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        using (Tensor.Scope())
        {
            model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        peakBytes = MemoryStats.PeakLiveBytes - before;
        processorTime += Process.GetCurrentProcess().TotalProcessorTime - processorAtStart;
        steps++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// gradient checkpointing {GradientCheckpointing}: CPU time {processorTime.TotalMilliseconds / steps:F1} ms per step over {steps} steps");
        Console.WriteLine($"// gradient checkpointing {GradientCheckpointing}: peak of live bytes in a step beyond the weights and AdamW moments (gradients and activations) {peakBytes / (double)(1 << 20):F1} MiB");
        foreach (var t in new[] { ids, mask, sentenceLabels, tokenLabels }) t.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }
}
