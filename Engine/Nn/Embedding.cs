using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>A lookup table [count, dim] indexed by integer ids; BERT init N(0, 0.02²).</summary>
public sealed class Embedding : Module
{
    public Embedding(int count, int dim, Generator generator, DType dtype = DType.Float32)
    {
        Weight = RegisterParameter("weight", Tensor.Normal([count, dim], generator, 0, BertInit.Std, dtype));
    }

    public Tensor Weight { get; }

    public Tensor Forward(Tensor ids) => Ops.Embedding(ids, Weight);
}
