namespace CudaBert.Engine;

// Mixed precision: the linear layer with bfloat16 GEMM operands and float32 everything else.
public static partial class Ops
{
    /// <summary>
    /// y = x·Wᵀ + b as <see cref="Linear"/>, with the three GEMMs of the layer (forward, dx, dW) on bfloat16
    /// operands and float32 accumulation (<see cref="Backends.MatmulPrecision.Bf16"/>): x is rounded to
    /// bfloat16 here, W comes from its <see cref="Tensor.BFloat16Copy"/> (made on first use, rewritten by the
    /// optimizer after each step), dy is rounded in the backward. Inputs, output, bias and every gradient are
    /// float32; the bias and its gradient never leave float32. Only x's bfloat16 copy is kept for the
    /// backward (half the bytes of x).
    /// </summary>
    public static Tensor LinearBFloat16(Tensor x, Tensor weight, Tensor? bias = null)
    {
        CheckLinear("linear_bf16", x, weight, bias);
        if (x.DType != DType.Float32 || weight.DType != DType.Float32)
            throw new ArgumentException($"linear_bf16: input {x.Shape} {x.DType} and weight {weight.Shape} {weight.DType} must be Float32 (the bfloat16 copies are made here)");
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        int[] outDims = [.. x.Shape.Dims[..^1], outFeatures];
        var weight16 = weight.EnsureBFloat16Copy();
        var x16 = x.To(DType.BFloat16);
        var y = Tensor.Empty(outDims, DType.Float32, x.Device);
        y.Backend.Gemm(false, true, 1, rows, outFeatures, inFeatures, 1, x16, weight16, 0, y);                  // y = x·Wᵀ
        if (bias is not null) y.Backend.AddBias(y, bias, y);
        if (!ShouldRecord(x, weight, bias))
        {
            x16.Dispose();
            return y;
        }
        return Record(y, "linear_bf16", [x, weight, bias], dy =>
        {
            Tensor? dx = null, dw = null;
            using var dy16 = dy.To(DType.BFloat16);
            if (x.RequiresGrad)
            {
                dx = EmptyLike(x);
                dx.Backend.Gemm(false, false, 1, rows, inFeatures, outFeatures, 1, dy16, weight16, 0, dx);       // dx = dy·W
            }
            if (weight.RequiresGrad)
            {
                dw = EmptyLike(weight);
                dw.Backend.Gemm(true, false, 1, outFeatures, inFeatures, rows, 1, dy16, x16, 0, dw);             // dW = dyᵀ·x
            }
            return [dx, dw, bias?.RequiresGrad == true ? SumRowsOf(dy) : null];                                // db = Σ_rows dy
        });
    }
}
