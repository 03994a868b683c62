using CudaBert.Engine.Backends;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// The AdamW update and global-norm clipping: Kernels/bert/adamw.cu (one tensor), multi_tensor_optimizer.cu (all of them).
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

    /// <summary>
    /// One launch for every parameter (a table of them is uploaded first), bit-identical to <see cref="AdamWStep"/> of each;
    /// the kernel writes each bfloat16 copy as it writes the parameter.
    /// While a graph is captured, the table goes to a buffer of the graph's own that the host rewrites before each
    /// replay (<see cref="CapturedGraph.UpdateOptimizer"/>): the learning rate and the step count change every step.
    /// </summary>
    public void AdamWSteps(ReadOnlySpan<AdamWUpdate> updates)
    {
        var tensors = AdamWTensors(updates, nameof(AdamWSteps));
        if (tensors.All(t => t.N == 0)) return;
        var table = MultiTensorOptimizerKernels.AdamWTable(tensors);
        if (capture is not null)
        {
            MultiTensorOptimizerKernels.AdamW(Gpu, table, capture.TableForAdamW(tensors, table.Bytes.Length), DefaultStream);
            return;
        }
        using var onDevice = Scratch(table.Bytes.Length);
        Gpu.CopyToDevice<byte>(table.Bytes, onDevice.Pointer, DefaultStream);
        MultiTensorOptimizerKernels.AdamW(Gpu, table, onDevice.Pointer, DefaultStream);
    }

    /// <summary>The kernels' view of <paramref name="updates"/>: device addresses and scalars, float32 checked.</summary>
    internal MultiTensorOptimizerKernels.AdamWTensor[] AdamWTensors(ReadOnlySpan<AdamWUpdate> updates, string primitive)
    {
        var tensors = new MultiTensorOptimizerKernels.AdamWTensor[updates.Length];
        for (int i = 0; i < updates.Length; i++)
        {
            var (param, grad, expAvg, expAvgSq, a, copy) = updates[i];
            RequireFloat32(primitive, param, grad, expAvg, expAvgSq);
            if (copy is not null && (copy.DType != DType.BFloat16 || copy.NumElements != param.NumElements))
                throw new ArgumentException($"{primitive}: the bfloat16 copy of parameter {param.Shape} must be a BFloat16 tensor of as many elements, got {copy.DType} {copy.Shape}");
            tensors[i] = new(Ptr(param, primitive), Ptr(grad, primitive), Ptr(expAvg, primitive), Ptr(expAvgSq, primitive), param.NumElements,
                a.LearningRate, a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.Step, PtrOrNull(copy, primitive));
        }
        return tensors;
    }

    /// <summary>Three launches over all the gradients (partial sums, norm and factor, scaling); the norm stays on the device.</summary>
    public void ClipGradNorm(ReadOnlySpan<Tensor> grads, double maxNorm, Tensor norm)
    {
        const string primitive = nameof(ClipGradNorm);
        if (norm.DType != DType.Float64)
            throw new ArgumentException($"{primitive}: the norm tensor must be Float64, got {norm.DType} {norm.Shape}");
        var pointers = new DevicePtr[grads.Length];
        var sizes = new long[grads.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            RequireFloat32(primitive, grads[i]);
            (pointers[i], sizes[i]) = (Ptr(grads[i], primitive), grads[i].NumElements);
        }
        if (sizes.Sum() == 0) { Fill(norm, 0); return; }
        using var workspace = Scratch(MultiTensorOptimizerKernels.ClipGradNormWorkspaceBytes(sizes));
        MultiTensorOptimizerKernels.ClipGradNorm(Gpu, pointers, sizes, maxNorm, Ptr(norm, primitive), workspace.Pointer, DefaultStream);
    }
}
