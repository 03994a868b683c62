using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Bench.CpuOps;

/// <summary>
/// The CPU tensors a benchmark's setup allocates: normal(0, 1) inputs from one seeded stream (the same
/// values in every run) and zeroed outputs, all disposed together in the benchmark's cleanup.
/// </summary>
sealed class BenchmarkOperands : IDisposable
{
    private readonly List<Tensor> tensors = [];
    private readonly Generator generator = new(42);

    /// <summary>A tensor of the given dimensions drawn from N(0, 1).</summary>
    public Tensor Normal(params int[] dims) => Keep(Tensor.Normal(new Shape(dims), generator));

    /// <summary>A zeroed tensor of the given dimensions (an output).</summary>
    public Tensor Zeros(params int[] dims) => Keep(Tensor.Zeros(new Shape(dims)));

    /// <summary>Disposes every tensor allocated so far.</summary>
    public void Dispose()
    {
        foreach (var tensor in tensors) tensor.Dispose();
        tensors.Clear();
    }

    private Tensor Keep(Tensor tensor)
    {
        tensors.Add(tensor);
        return tensor;
    }
}
