using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Linear-chain CRF: Kernels/bert/crf.cu, one block per sequence and one thread per tag.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void CrfNegativeLogLikelihood(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor loss)
    {
        const string primitive = nameof(CrfNegativeLogLikelihood);
        RequireFloat32(primitive, emissions, transitions, start, end, loss);
        RequireInt32(primitive, tags);
        int batch = emissions.Shape[0], words = emissions.Shape[1], tagCount = emissions.Shape[2];
        using var workspace = Scratch(CrfKernels.ForwardWorkspaceBytes(batch));
        CrfKernels.NegativeLogLikelihood(Gpu, Ptr(emissions, primitive), Ptr(tags, primitive), Ptr(transitions, primitive), Ptr(start, primitive),
            Ptr(end, primitive), batch, words, tagCount, (float)scale, Ptr(loss, primitive), workspace.Pointer);
    }

    /// <inheritdoc/>
    public void CrfNegativeLogLikelihoodBackward(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor dloss,
        Tensor demissions, Tensor dtransitions, Tensor dstart, Tensor dend)
    {
        const string primitive = nameof(CrfNegativeLogLikelihoodBackward);
        RequireFloat32(primitive, emissions, transitions, start, end, dloss, demissions, dtransitions, dstart, dend);
        RequireInt32(primitive, tags);
        int batch = emissions.Shape[0], words = emissions.Shape[1], tagCount = emissions.Shape[2];
        using var workspace = Scratch(CrfKernels.BackwardWorkspaceBytes(batch, words, tagCount));
        CrfKernels.Gradient(Gpu, Ptr(emissions, primitive), Ptr(tags, primitive), Ptr(transitions, primitive), Ptr(start, primitive), Ptr(end, primitive),
            batch, words, tagCount, (float)scale, Ptr(dloss, primitive), Ptr(demissions, primitive), Ptr(dtransitions, primitive), Ptr(dstart, primitive),
            Ptr(dend, primitive), workspace.Pointer);
    }
}
