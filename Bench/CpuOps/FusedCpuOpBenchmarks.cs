using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CudaBert.Engine;
using CudaBert.Engine.Cpu;

namespace CudaBert.Bench.CpuOps;

/// <summary>
/// Each fused primitive of the CPU backend against the separate primitives it replaces (the baseline). The
/// linear and layer-norm fusions do the same arithmetic with the same results bit for bit, finishing each row
/// while it is in cache; fused attention is the reference of the GPU kernel, row by row, equal up to rounding.
/// </summary>
[Config(typeof(ShortInProcessJob))]
public class FusedCpuOpBenchmarks
{
    private const int Rows = 32 * 50, Hidden = 384, Ffn = 1536;
    private const double DropoutRate = 0.1;

    private readonly BenchmarkOperands operands = new();
    private Action separate = () => { }, fused = () => { };

    /// <summary>Which fusion to time.</summary>
    [ParamsAllValues]
    public CpuFusion Fusion { get; set; }

    /// <summary>Allocates the operands of <see cref="Fusion"/> and the two ways of computing it.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var cpu = CpuBackend.Instance;
        switch (Fusion)
        {
            case CpuFusion.LinearBiasGelu:
            {
                Tensor x = operands.Normal(Rows, Hidden), w = operands.Normal(Ffn, Hidden), b = operands.Normal(Ffn), z = operands.Zeros(Rows, Ffn), y = operands.Zeros(Rows, Ffn);
                separate = () => { cpu.Gemm(false, true, 1, Rows, Ffn, Hidden, 1, x, w, 0, z); cpu.AddBias(z, b, z); cpu.Gelu(z, y); };
                fused = () => cpu.LinearBiasGelu(x, w, b, z, y);
                break;
            }
            case CpuFusion.DropoutResidualLayerNorm:
            {
                Tensor x = operands.Normal(Rows, Hidden), residual = operands.Normal(Rows, Hidden), gamma = operands.Normal(Hidden), beta = operands.Normal(Hidden);
                Tensor dropped = operands.Zeros(Rows, Hidden), sum = operands.Zeros(Rows, Hidden), y = operands.Zeros(Rows, Hidden), mean = operands.Zeros(Rows), rstd = operands.Zeros(Rows);
                separate = () =>
                {
                    cpu.Dropout(x, DropoutRate, 7, 0, dropped);
                    cpu.Add(dropped, residual, sum);
                    cpu.LayerNorm(sum, gamma, beta, 1e-12, y, mean, rstd);
                };
                fused = () => cpu.DropoutResidualLayerNorm(x, DropoutRate, 7, 0, residual, gamma, beta, 1e-12, sum, y, mean, rstd);
                break;
            }
            case CpuFusion.FusedAttention:
            {
                const int batch = 32, seq = Rows / batch, heads = 12, headSize = Hidden / heads, pairs = batch * heads;
                double scale = 1 / Math.Sqrt(headSize);
                Tensor q = operands.Normal(batch, seq, Hidden), k = operands.Normal(batch, seq, Hidden), v = operands.Normal(batch, seq, Hidden);
                Tensor mask = operands.Zeros(batch, seq), output = operands.Zeros(batch, seq, Hidden), lse = operands.Zeros(batch, heads, seq);
                Tensor qh = operands.Zeros(batch, heads, seq, headSize), kh = operands.Zeros(batch, heads, seq, headSize), vh = operands.Zeros(batch, heads, seq, headSize);
                Tensor scores = operands.Zeros(batch, heads, seq, seq), probs = operands.Zeros(batch, heads, seq, seq), oh = operands.Zeros(batch, heads, seq, headSize);
                // [B, S, H·d] seen as [B, S, H, d] (views of the same storage), the head split swaps S and H.
                int[] split = [0, 2, 1, 3];
                Tensor q4 = q.Reshape(batch, seq, heads, headSize), k4 = k.Reshape(batch, seq, heads, headSize), v4 = v.Reshape(batch, seq, heads, headSize);
                Tensor output4 = output.Reshape(batch, seq, heads, headSize);
                separate = () =>
                {
                    cpu.Permute(q4, split, qh);
                    cpu.Permute(k4, split, kh);
                    cpu.Permute(v4, split, vh);
                    cpu.Gemm(false, true, pairs, seq, seq, headSize, 1, qh, kh, 0, scores);
                    cpu.ScaledMaskedSoftmax(scores, mask, scale, probs);
                    cpu.Dropout(probs, DropoutRate, 7, 0, probs);
                    cpu.Gemm(false, false, pairs, seq, headSize, seq, 1, probs, vh, 0, oh);
                    cpu.Permute(oh, split, output4);
                };
                fused = () => cpu.FusedAttention(q, k, v, mask, heads, scale, DropoutRate, 7, 0, output, lse);
                break;
            }
        }
    }

    /// <summary>Frees the operands.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        operands.Dispose();
    }

    /// <summary>The separate primitives, one after the other (what the unfused ops run).</summary>
    [Benchmark(Baseline = true, Description = "separate")]
    public void Separate() => separate();

    /// <summary>The fused primitive.</summary>
    [Benchmark(Description = "fused")]
    public void Fused() => fused();


    /// <summary>A short in-process job: one launch, 2 warm-up and 9 measured iterations.</summary>
    public class ShortInProcessJob : ManualConfig
    {
        /// <summary>The job.</summary>
        public ShortInProcessJob() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(9).WithId("AllCores"));
    }
}
