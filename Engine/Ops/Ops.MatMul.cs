namespace CudaBert.Engine;

// Matrix products: batched matmul with transpose flags, and the linear layer.
public static partial class Ops
{
    /// <summary>
    /// Batched op(a)·op(b) over the last two axes, where op transposes when its flag is set:
    /// a [..., M, K] (or [..., K, M] with <paramref name="transposeA"/>), b [..., K, N] (or [..., N, K]),
    /// result [..., M, N]. The leading (batch) axes of a and b must be equal, or b may be a single
    /// matrix shared by all batches (only without <paramref name="transposeA"/>).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        CheckFloat("matmul", a, "a");
        CheckFloat("matmul", b, "b");
        CheckCompatible("matmul", a, b, "b");
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"matmul: operands need at least 2 axes, got {a.Shape} and {b.Shape}");
        int m = transposeA ? a.Shape[-1] : a.Shape[-2], k = transposeA ? a.Shape[-2] : a.Shape[-1];
        int kb = transposeB ? b.Shape[-1] : b.Shape[-2], n = transposeB ? b.Shape[-2] : b.Shape[-1];
        if (k != kb) throw new ArgumentException($"matmul: inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : "")} · {b.Shape}{(transposeB ? "ᵀ" : "")}");
        var batchShape = a.Shape.Dims[..^2];
        int batch = (int)(a.NumElements / ((long)m * k));
        int[] outDims = [.. batchShape, m, n];

        if (b.Rank == 2 && a.Rank > 2)
        {
            // One B for every batch: without a transpose the batches of A stack into one tall matrix.
            if (transposeA) throw new ArgumentException($"matmul: a shared 2-D b {b.Shape} needs an untransposed a, got {a.Shape}ᵀ");
            var y = Tensor.Empty(outDims, a.DType, a.Device);
            y.Backend.Gemm(false, transposeB, 1, batch * m, n, k, 1, a, b, 0, y);   // a read as [batch·M, K]
            return Record(y, "matmul", [a, b], dy => [
                a.RequiresGrad ? MatMulGradA(dy, b, false, transposeB, batch * m, n, k, 1, a.Shape) : null,
                b.RequiresGrad ? MatMulGradB(a, dy, false, transposeB, batch * m, n, k, 1, b.Shape) : null,
            ]);
        }

        if (!b.Shape.Dims[..^2].SequenceEqual(batchShape))
            throw new ArgumentException($"matmul: batch axes differ: {a.Shape} and {b.Shape}");
        var c = Tensor.Empty(outDims, a.DType, a.Device);
        c.Backend.Gemm(transposeA, transposeB, batch, m, n, k, 1, a, b, 0, c);
        return Record(c, "matmul", [a, b], dy => [
            a.RequiresGrad ? MatMulGradA(dy, b, transposeA, transposeB, m, n, k, batch, a.Shape) : null,
            b.RequiresGrad ? MatMulGradB(a, dy, transposeA, transposeB, m, n, k, batch, b.Shape) : null,
        ]);
    }

    // For C = op(A)·op(B):  dop(A) = dC·op(B)ᵀ  and  dop(B) = op(A)ᵀ·dC.
    // When A itself is stored transposed, dA = (dop(A))ᵀ = op(B)·dCᵀ, and likewise for B.
    // The backend only sees contiguous memory, so the shapes passed here just fix the result's view.
    private static Tensor MatMulGradA(Tensor dc, Tensor b, bool transposeA, bool transposeB, int m, int n, int k, int batch, Shape shapeOfA)
    {
        var da = Tensor.Empty(shapeOfA, dc.DType, dc.Device);
        if (!transposeA) da.Backend.Gemm(false, !transposeB, batch, m, k, n, 1, dc, b, 0, da);  // dA = dC·op(B)ᵀ   (M×K)
        else da.Backend.Gemm(transposeB, true, batch, k, m, n, 1, b, dc, 0, da);              // dA = op(B)·dCᵀ   (K×M)
        return da;
    }

    private static Tensor MatMulGradB(Tensor a, Tensor dc, bool transposeA, bool transposeB, int m, int n, int k, int batch, Shape shapeOfB)
    {
        var db = Tensor.Empty(shapeOfB, dc.DType, dc.Device);
        if (!transposeB) db.Backend.Gemm(!transposeA, false, batch, k, n, m, 1, a, dc, 0, db);  // dB = op(A)ᵀ·dC   (K×N)
        else db.Backend.Gemm(true, transposeA, batch, n, k, m, 1, dc, a, 0, db);              // dB = dCᵀ·op(A)   (N×K)
        return db;
    }

    /// <summary>
    /// y = x·Wᵀ + b as <c>torch.nn.functional.linear</c>: x [..., in], weight [out, in], bias [out] or null; y [..., out].
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        CheckLinear("linear", x, weight, bias);
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        int[] outDims = [.. x.Shape.Dims[..^1], outFeatures];
        var y = Tensor.Empty(outDims, x.DType, x.Device);
        y.Backend.Gemm(false, true, 1, rows, outFeatures, inFeatures, 1, x, weight, 0, y);
        if (bias is not null) y.Backend.AddBias(y, bias, y);
        return Record(y, "linear", [x, weight, bias], dy => LinearGradients(dy, x, weight, bias));
    }

    /// <summary>
    /// The gradients of y = x·Wᵀ + b for [x, weight, bias] given dy (null where no gradient is wanted),
    /// shared by <see cref="Linear"/>, <see cref="LinearGelu"/> and <see cref="LinearGeluLinear"/> (whose dy is the gradient of z).
    /// </summary>
    private static Tensor?[] LinearGradients(Tensor dy, Tensor x, Tensor weight, Tensor? bias)
    {
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        Tensor? dx = null, dw = null;
        if (x.RequiresGrad)
        {
            dx = EmptyLike(x);
            dx.Backend.Gemm(false, false, 1, rows, inFeatures, outFeatures, 1, dy, weight, 0, dx);   // dx = dy·W
        }
        if (weight.RequiresGrad)
        {
            dw = EmptyLike(weight);
            dw.Backend.Gemm(true, false, 1, outFeatures, inFeatures, rows, 1, dy, x, 0, dw);         // dW = dyᵀ·x
        }
        return [dx, dw, bias?.RequiresGrad == true ? SumRowsOf(dy) : null];                        // db = Σ_rows dy
    }

    /// <summary>The argument checks of a linear map: x [..., in], weight [out, in], bias [out] or null.</summary>
    private static void CheckLinear(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        CheckFloat(op, x, "input");
        CheckCompatible(op, x, weight, "weight");
        if (weight.Rank != 2 || weight.Shape[1] != x.Shape.Last)
            throw new ArgumentException($"{op}: weight {weight.Shape} does not map the last axis of input {x.Shape} (expected [out, {x.Shape.Last}])");
        if (bias is null) return;
        CheckCompatible(op, x, bias, "bias");
        if (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0])
            throw new ArgumentException($"{op}: bias {bias.Shape} does not match weight {weight.Shape} (expected [{weight.Shape[0]}])");
    }
}
