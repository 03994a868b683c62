using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// The AdamW update: Kernels/bert/adamw.cu.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWStepArgs args)
    {
        const string primitive = nameof(AdamWStep);
        RequireFloat32(primitive, param, grad, expAvg, expAvgSq);
        if (param.NumElements == 0) return;
        OptimizerKernels.AdamWStep(Gpu, Ptr(param, primitive), Ptr(grad, primitive), Ptr(expAvg, primitive), Ptr(expAvgSq, primitive),
            param.NumElements, args.LearningRate, args.Beta1, args.Beta2, args.Eps, args.WeightDecay, args.Step);
    }
}
