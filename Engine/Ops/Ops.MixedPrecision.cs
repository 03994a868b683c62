namespace CudaBert.Engine;

// Mixed precision: the linear layer (and the GELU feed-forward block) with bfloat16 GEMM operands and float32 everything else.
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
            using var dy16 = dy.To(DType.BFloat16);
            return LinearGradientsBFloat16(dy, dy16, x, x16, weight, weight16, bias);
        });
    }

    /// <summary>
    /// The gradients of y = x·Wᵀ + b for [x, weight, bias] with bfloat16 GEMM operands, given dy and its bfloat16
    /// rounding dy16 (null where no gradient is wanted), shared by <see cref="LinearBFloat16"/> and
    /// <see cref="LinearGeluLinearBFloat16"/>.
    /// </summary>
    private static Tensor?[] LinearGradientsBFloat16(Tensor dy, Tensor dy16, Tensor x, Tensor x16, Tensor weight, Tensor weight16, Tensor? bias)
    {
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        Tensor? dx = null, dw = null;
        if (x.RequiresGrad)
        {
            dx = EmptyLike(x);
            dx.Backend.Gemm(false, false, 1, rows, inFeatures, outFeatures, 1, dy16, weight16, 0, dx);           // dx = dy·W
        }
        if (weight.RequiresGrad)
        {
            dw = EmptyLike(weight);
            dw.Backend.Gemm(true, false, 1, outFeatures, inFeatures, rows, 1, dy16, x16, 0, dw);                 // dW = dyᵀ·x
        }
        return [dx, dw, bias?.RequiresGrad == true ? SumRowsOf(dy) : null];                                    // db = Σ_rows dy
    }

    /// <summary>
    /// <see cref="LinearGeluLinear"/> with the GEMM operands of <see cref="LinearBFloat16"/>, equal to
    /// <c>LinearBFloat16(Gelu(LinearBFloat16(x, w1, b1)), w2, b2)</c>: the same roundings to bfloat16 (x, h = GELU(z),
    /// dy in the backward and dz before the first layer's gradients), float32 everywhere else. The backward's
    /// dz = (dy·W2) ⊙ GELU′(z) is one bfloat16 GEMM with the GELU-derivative epilogue on CUDA. Saves x's bfloat16
    /// copy and z; the backward recomputes h's bfloat16 copy from z (as <see cref="LinearGeluLinear"/> recomputes h).
    /// </summary>
    public static Tensor LinearGeluLinearBFloat16(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        const string op = "linear_gelu_linear_bf16";
        CheckLinear(op, x, w1, b1);
        CheckSecondLinear(op, w1, w2, b2);
        if (x.DType != DType.Float32 || w1.DType != DType.Float32 || w2.DType != DType.Float32)
            throw new ArgumentException($"{op}: input {x.DType}, w1 {w1.DType} and w2 {w2.DType} must be Float32 (the bfloat16 copies are made here)");
        var z = LinearBFloat16Product(x, w1, b1, out var x16, out var w1Bf16);
        var h = Tensor.Empty(z.Shape, DType.Float32, x.Device);
        h.Backend.Gelu(z, h);
        var y = LinearBFloat16Product(h, w2, b2, out var h16, out var w2Bf16);
        h.Dispose();
        h16.Dispose();   // not kept for the backward: it recomputes h's bfloat16 copy from z
        if (!ShouldRecord(x, w1, b1, w2, b2))
        {
            x16.Dispose();
            z.Dispose();
            return y;
        }
        int rows = (int)x.Shape.Rows, hidden = w1.Shape[0], outFeatures = w2.Shape[0];
        return Record(y, op, [x, w1, b1, w2, b2], dy =>
        {
            using var dy16 = dy.To(DType.BFloat16);
            Tensor? dw2 = null;
            if (w2.RequiresGrad)
            {
                using var recomputed16 = RecomputeGeluBFloat16(z);
                dw2 = EmptyLike(w2);
                dw2.Backend.Gemm(true, false, 1, outFeatures, hidden, rows, 1, dy16, recomputed16, 0, dw2);       // dW2 = dyᵀ·h
            }
            var db2 = b2.RequiresGrad ? SumRowsOf(dy) : null;                                                   // db2 = Σ_rows dy
            Tensor?[] first = [null, null, null];
            if (x.RequiresGrad || w1.RequiresGrad || b1.RequiresGrad)
            {
                var dz = EmptyLike(z);
                dz.Backend.LinearInputGradientGelu(dy16, w2Bf16, z, dz);                                       // dz = (dy·W2) ⊙ GELU′(z)
                using var dz16 = dz.To(DType.BFloat16);
                first = LinearGradientsBFloat16(dz, dz16, x, x16, w1, w1Bf16, b1);
            }
            return [first[0], first[1], first[2], dw2, db2];
        });
    }

    /// <summary>bfloat16(GELU(z)): the forward's rounded h of <see cref="LinearGeluLinearBFloat16"/> again, bit for bit (the same two kernels on the same z).</summary>
    private static Tensor RecomputeGeluBFloat16(Tensor z)
    {
        using var h = EmptyLike(z);
        h.Backend.Gelu(z, h);
        return h.To(DType.BFloat16);
    }

    /// <summary>x·Wᵀ + b on bfloat16 operands (float32 result), handing back x's bfloat16 copy and W's.</summary>
    private static Tensor LinearBFloat16Product(Tensor x, Tensor weight, Tensor bias, out Tensor x16, out Tensor weight16)
    {
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        weight16 = weight.EnsureBFloat16Copy();
        x16 = x.To(DType.BFloat16);
        var y = Tensor.Empty([.. x.Shape.Dims[..^1], outFeatures], DType.Float32, x.Device);
        y.Backend.Gemm(false, true, 1, rows, outFeatures, inFeatures, 1, x16, weight16, 0, y);
        y.Backend.AddBias(y, bias, y);
        return y;
    }
}
