using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Fused primitives: GEMM epilogues (Kernels/bert/gemm_simt.cu, gemm_tf32.cu, gemm_bf16.cu) and the residual layer
// norm (Kernels/bert/layernorm.cu), each saving the launches and memory sweeps of the separate primitives.
public sealed partial class CudaBackend
{
    /// <summary>
    /// Without <paramref name="preActivation"/>: one GEMM with the bias+GELU epilogue. With it: one GEMM
    /// with the bias epilogue writing z, then the GELU kernel (the epilogue writes only its final value,
    /// and the backward needs z). The GEMM kernel follows <see cref="Tf32Mode"/> as <see cref="Gemm"/>.
    /// </summary>
    public void LinearBiasGelu(Tensor x, Tensor weight, Tensor bias, Tensor? preActivation, Tensor y)
    {
        const string primitive = nameof(LinearBiasGelu);
        RequireFloat32(primitive, x, weight, bias, preActivation, y);
        int rows = Rows32(x.Shape.Rows, primitive), inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (rows == 0 || outFeatures == 0) return;
        if (inFeatures == 0) throw NoKernel(primitive, $"weight {weight.Shape} has no input features");
        var epilogue = preActivation is null ? GemmEpilogue.BiasGelu : GemmEpilogue.Bias;
        var target = preActivation ?? y;
        RunGemm(false, true, 1, rows, outFeatures, inFeatures, 1f,
            Ptr(x, primitive), Ptr(weight, primitive), 0f, Ptr(target, primitive), bias: Ptr(bias, primitive), epilogue: epilogue);
        if (preActivation is not null) Gelu(preActivation, y);
    }

    /// <summary>
    /// One GEMM, dz = dy·W, with the GELU-derivative epilogue reading z: float32 operands follow <see cref="Tf32Mode"/>
    /// as <see cref="Gemm"/>; bfloat16 ones take the bfloat16 GEMM (<see cref="GemmBf16Kernels.Dispatch"/>) into a float32 dz.
    /// </summary>
    public void LinearInputGradientGelu(Tensor dy, Tensor weight, Tensor z, Tensor dz)
    {
        const string primitive = nameof(LinearInputGradientGelu);
        RequireFloat32(primitive, z, dz);
        int rows = Rows32(dy.Shape.Rows, primitive), outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        if (rows == 0 || inFeatures == 0) return;
        if (outFeatures == 0) throw NoKernel(primitive, $"weight {weight.Shape} has no output features");
        var (a, b, c, aux) = (Ptr(dy, primitive), Ptr(weight, primitive), Ptr(dz, primitive), Ptr(z, primitive));
        if (dy.DType == DType.BFloat16 && weight.DType == DType.BFloat16)
        {
            GemmBf16Kernels.Dispatch(Gpu, false, false, 1, rows, inFeatures, outFeatures, 1f, a, b, 0f, c, cIsBFloat16: false,
                epilogue: GemmEpilogue.GeluDerivative, aux: aux);
            return;
        }
        RequireFloat32(primitive, dy, weight);
        RunGemm(false, false, 1, rows, inFeatures, outFeatures, 1f, a, b, 0f, c, epilogue: GemmEpilogue.GeluDerivative, aux: aux);
    }

    /// <summary>
    /// The residual layer-norm kernel (sum and y in one pass); with p &gt; 0 the dropout kernel first writes
    /// dropout(x) into scratch memory, the same mask as <see cref="Dropout"/>.
    /// </summary>
    public void DropoutResidualLayerNorm(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor gamma, Tensor beta, double eps,
        Tensor sum, Tensor y, Tensor mean, Tensor rstd)
    {
        const string primitive = nameof(DropoutResidualLayerNorm);
        RequireFloat32(primitive, x, residual, gamma, beta, sum, y, mean, rstd);
        if (x.NumElements == 0) return;
        int cols = x.Shape.Last, rows = Rows32(x.NumElements / cols, primitive);
        using var dropped = Scratch(p > 0 ? x.ByteLength : 0);
        var input = Ptr(x, primitive);
        if (p >= 1) { Gpu.Memset(dropped.Pointer, 0, x.ByteLength); input = dropped.Pointer; }
        else if (p > 0) { DropoutKernels.Apply(Gpu, input, dropped.Pointer, x.NumElements, p, seed, offset, offsetShift: DropoutShift(seed)); input = dropped.Pointer; }
        LayerNormKernels.ResidualForward(Gpu, input, Ptr(residual, primitive), Ptr(gamma, primitive), Ptr(beta, primitive), Ptr(sum, primitive),
            Ptr(y, primitive), Ptr(mean, primitive), Ptr(rstd, primitive), rows, cols, (float)eps);
    }
}
