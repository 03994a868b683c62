using BenchmarkDotNet.Attributes;
using CudaBert.Engine;
using CudaBert.Engine.Cpu;

namespace CudaBert.Bench.CpuOps;

/// <summary>
/// Layer norm, softmax, GELU (erf and tanh) and the mean over an axis of the CPU backend, forward
/// and backward, reported in GB/s of the tensors they must read and write, next to a multi-threaded
/// memory copy of the same number of bytes in the same run ("vs copy": 1.00 means the op runs at the speed of moving its data).
/// </summary>
[Config(typeof(CpuOpBenchmarkConfig))]
public class CpuOpBenchmarks
{
    private const int Tokens = 32 * 128, Hidden = 768, Ffn = 3072, Batch = 32, Heads = 12, Sequence = 128;

    private readonly BenchmarkOperands operands = new();
    private Action run = () => { };
    private byte[] copySource = [], copyDestination = [];

    [ParamsAllValues]
    public CpuOp Op { get; set; }

    /// <summary>
    /// Bytes an op must move at least: each full-size tensor read or written once (the small
    /// per-row statistics, γ/β and the mask are left out).
    /// </summary>
    public static long BytesMoved(CpuOp op) => op switch
    {
        CpuOp.LayerNorm => 2L * Tokens * Hidden * sizeof(float),                      // x → y
        CpuOp.LayerNormBackward => 3L * Tokens * Hidden * sizeof(float),              // dy, x → dx
        CpuOp.Softmax => 2L * Batch * Heads * Sequence * Sequence * sizeof(float),    // scores → probs
        CpuOp.SoftmaxBackward => 3L * Batch * Heads * Sequence * Sequence * sizeof(float), // probs, dprobs → dscores
        CpuOp.Gelu => 2L * Tokens * Ffn * sizeof(float),                              // x → y
        CpuOp.GeluBackward => 3L * Tokens * Ffn * sizeof(float),                      // x, dy → dx
        CpuOp.GeluTanh => 2L * Tokens * Ffn * sizeof(float),                          // x → y
        CpuOp.GeluTanhBackward => 3L * Tokens * Ffn * sizeof(float),                  // x, dy → dx
        CpuOp.MeanOverAxis => (Tokens + Batch) * (long)Hidden * sizeof(float),        // x → y
        CpuOp.MeanOverAxisBackward => (Tokens + Batch) * (long)Hidden * sizeof(float), // dy → dx
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown op"),
    };

    [GlobalSetup]
    public void Setup()
    {
        var cpu = CpuBackend.Instance;

        switch (Op)
        {
            case CpuOp.LayerNorm:
            {
                Tensor x = operands.Normal(Tokens, Hidden), gamma = operands.Normal(Hidden), beta = operands.Normal(Hidden);
                Tensor y = operands.Zeros(Tokens, Hidden), mean = operands.Zeros(Tokens), rstd = operands.Zeros(Tokens);
                run = () => cpu.LayerNorm(x, gamma, beta, 1e-12, y, mean, rstd);
                break;
            }
            case CpuOp.LayerNormBackward:
            {
                Tensor x = operands.Normal(Tokens, Hidden), gamma = operands.Normal(Hidden), beta = operands.Normal(Hidden), dy = operands.Normal(Tokens, Hidden);
                Tensor y = operands.Zeros(Tokens, Hidden), mean = operands.Zeros(Tokens), rstd = operands.Zeros(Tokens);
                Tensor dx = operands.Zeros(Tokens, Hidden), dgamma = operands.Zeros(Hidden), dbeta = operands.Zeros(Hidden);
                cpu.LayerNorm(x, gamma, beta, 1e-12, y, mean, rstd);
                run = () => cpu.LayerNormBackward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
                break;
            }
            case CpuOp.Softmax:
            {
                Tensor scores = operands.Normal(Batch, Heads, Sequence, Sequence), mask = operands.Zeros(Batch, Sequence);
                Tensor probs = operands.Zeros(Batch, Heads, Sequence, Sequence);
                run = () => cpu.ScaledMaskedSoftmax(scores, mask, 0.125, probs);
                break;
            }
            case CpuOp.SoftmaxBackward:
            {
                Tensor scores = operands.Normal(Batch, Heads, Sequence, Sequence), dprobs = operands.Normal(Batch, Heads, Sequence, Sequence);
                Tensor probs = operands.Zeros(Batch, Heads, Sequence, Sequence), dscores = operands.Zeros(Batch, Heads, Sequence, Sequence);
                cpu.ScaledMaskedSoftmax(scores, null, 0.125, probs);
                run = () => cpu.ScaledMaskedSoftmaxBackward(probs, dprobs, 0.125, dscores);
                break;
            }
            case CpuOp.Gelu:
            {
                Tensor x = operands.Normal(Tokens, Ffn), y = operands.Zeros(Tokens, Ffn);
                run = () => cpu.Gelu(x, y);
                break;
            }
            case CpuOp.GeluBackward:
            {
                Tensor x = operands.Normal(Tokens, Ffn), dy = operands.Normal(Tokens, Ffn), dx = operands.Zeros(Tokens, Ffn);
                run = () => cpu.GeluBackward(x, dy, dx);
                break;
            }
            case CpuOp.GeluTanh:
            {
                Tensor x = operands.Normal(Tokens, Ffn), y = operands.Zeros(Tokens, Ffn);
                run = () => cpu.GeluTanh(x, y);
                break;
            }
            case CpuOp.GeluTanhBackward:
            {
                Tensor x = operands.Normal(Tokens, Ffn), dy = operands.Normal(Tokens, Ffn), dx = operands.Zeros(Tokens, Ffn);
                run = () => cpu.GeluTanhBackward(x, dy, dx);
                break;
            }
            case CpuOp.MeanOverAxis:
            {
                Tensor x = operands.Normal(Batch, Sequence, Hidden), y = operands.Zeros(Batch, Hidden);
                run = () => cpu.SumAxis(x, 1, 1.0 / Sequence, y);
                break;
            }
            case CpuOp.MeanOverAxisBackward:
            {
                Tensor dy = operands.Normal(Batch, Hidden), dx = operands.Zeros(Batch, Sequence, Hidden);
                run = () => cpu.SumAxisBackward(dy, 1, 1.0 / Sequence, dx);
                break;
            }
        }

        // The copy reads half of the op's bytes and writes the other half.
        long half = BytesMoved(Op) / 2;
        copySource = new byte[half];
        copyDestination = new byte[half];
        new System.Random(1).NextBytes(copySource);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        operands.Dispose();
    }

    [Benchmark(Description = "op")]
    public void RunOp() => run();

    [Benchmark(Description = CpuOpBenchmarkConfig.CopyDescription)]
    public void MemoryCopy()
    {
        // One contiguous chunk per core, as the ops split their rows.
        int parts = Environment.ProcessorCount;
        Parallel.For(0, parts, part =>
        {
            long first = copySource.LongLength * part / parts, end = copySource.LongLength * (part + 1) / parts;
            copySource.AsSpan((int)first, (int)(end - first)).CopyTo(copyDestination.AsSpan((int)first));
        });
    }

}
