using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Dropout with the CPU's Philox mask, and the AdamW update: Kernels/bert/dropout.cu, adamw.cu.
public sealed partial class CudaBackend
{
    /// <summary>The same counter-based mask bits as the CPU backend; p = 1 drops everything (a memset).</summary>
    public void Dropout(Tensor x, double p, ulong seed, ulong offset, Tensor y)
    {
        const string primitive = nameof(Dropout);
        RequireFloat32(primitive, x, y);
        if (x.NumElements == 0) return;
        if (p >= 1) { Fill(y, 0); return; }
        DropoutKernels.Apply(Gpu, Ptr(x, primitive), Ptr(y, primitive), x.NumElements, p, seed, offset);
    }

    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWStepArgs args)
    {
        const string primitive = nameof(AdamWStep);
        RequireFloat32(primitive, param, grad, expAvg, expAvgSq);
        if (param.NumElements == 0) return;
        OptimizerKernels.AdamWStep(Gpu, Ptr(param, primitive), Ptr(grad, primitive), Ptr(expAvg, primitive), Ptr(expAvgSq, primitive),
            param.NumElements, args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, args.Step);
    }
}
