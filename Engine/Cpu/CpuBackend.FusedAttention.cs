using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Fused attention, the reference of Kernels/bert/flash_attention.cu: one (batch element, head) pair
// per task, one query row at a time. The forward computes a row of scores, its softmax and log-sum-exp,
// drops out and multiplies by V — the arithmetic of the separate primitives, without writing the
// probabilities anywhere but a row buffer. The backward recomputes each row's probabilities from the
// saved log-sum-exp, as the kernel does.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse) =>
        ByFloatType(q, () => FusedAttention<float>(q, k, v, mask, heads, scale, p, seed, offset, output, lse),
            () => FusedAttention<double>(q, k, v, mask, heads, scale, p, seed, offset, output, lse), nameof(FusedAttention));

    /// <inheritdoc/>
    public void FusedAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse, Tensor doutput, Tensor dq, Tensor dk, Tensor dv) =>
        ByFloatType(q, () => FusedAttentionBackward<float>(q, k, v, mask, heads, scale, p, seed, offset, output, lse, doutput, dq, dk, dv),
            () => FusedAttentionBackward<double>(q, k, v, mask, heads, scale, p, seed, offset, output, lse, doutput, dq, dk, dv),
            nameof(FusedAttentionBackward));

    /// <summary>
    /// Never: the fused op here is the reference the CUDA kernel is tested against, written row by row
    /// for clarity; the separate ops run the two products on the blocked GEMM and take about half its time
    /// (<c>Bench/CpuOps/FusedCpuOpBenchmarks.cs</c>, case FusedAttention).
    /// </summary>
    public bool PrefersFusedAttention(DType dtype, int headSize) => false;

    /// <summary>Sizes of one fused-attention call, and where row i of head h of batch element b starts in q (or output) and in k, v.</summary>
    private readonly record struct AttentionLayout(int Batch, int Heads, int Queries, int Keys, int HeadSize)
    {
        public static AttentionLayout Of(Tensor q, Tensor k, int heads) => new(q.Shape[0], heads, q.Shape[1], k.Shape[1], q.Shape[2] / heads);
        public int Width => Heads * HeadSize;
        public int QueryRow(int b, int h, int i) => (b * Queries + i) * Width + h * HeadSize;
        public int KeyRow(int b, int h, int j) => (b * Keys + j) * Width + h * HeadSize;
        /// <summary>Index of (b, h, i) in lse [B, H, Sq]; times Sk, the position of probability (b, h, i, 0) in [B, H, Sq, Sk].</summary>
        public int ProbabilityRow(int b, int h, int i) => (b * Heads + h) * Queries + i;
    }

    private static void FusedAttention<T>(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var at = AttentionLayout.Of(q, k, heads);
        int d = at.HeadSize;
        T s = Cast<T>(scale), keepScale = Cast<T>(1.0 / (1.0 - p));
        ParallelRows(at.Batch * at.Heads, 4L * at.Queries * at.Keys * d, (first, end) =>
        {
            ReadOnlySpan<T> qs = q.AsSpan<T>(), ks = k.AsSpan<T>(), vs = v.AsSpan<T>();
            ReadOnlySpan<T> masks = mask is null ? default : mask.AsSpan<T>();
            Span<T> outs = output.AsSpan<T>(), lses = lse.AsSpan<T>();
            var probs = new T[at.Keys];
            for (int pair = first; pair < end; pair++)
            {
                int b = pair / at.Heads, h = pair % at.Heads;
                for (int i = 0; i < at.Queries; i++)
                {
                    var qi = qs.Slice(at.QueryRow(b, h, i), d);
                    // z_j = (q_i·k_j)·scale + mask_j, as the softmax computes it from the GEMM's scores.
                    for (int j = 0; j < at.Keys; j++)
                    {
                        T score = TensorPrimitives.Dot(qi, ks.Slice(at.KeyRow(b, h, j), d));
                        probs[j] = mask is null ? score * s : T.FusedMultiplyAdd(score, s, masks[b * at.Keys + j]);
                    }
                    // Subtracting the max keeps exp in range; log Σ e^z = max + log Σ e^(z − max).
                    T max = TensorPrimitives.Max<T>(probs);
                    TensorPrimitives.Subtract(probs, max, probs);
                    TensorPrimitives.Exp<T>(probs, probs);
                    T sum = TensorPrimitives.Sum<T>(probs);
                    int row = at.ProbabilityRow(b, h, i);
                    lses[row] = max + T.Log(sum);
                    TensorPrimitives.Multiply(probs, T.One / sum, probs);
                    if (p > 0) Dropout<T>(probs, seed, offset + (ulong)row * (ulong)at.Keys, (float)p, keepScale, 0, at.Keys, probs);
                    // output_i = Σ_j P_ij·v_j
                    var oi = outs.Slice(at.QueryRow(b, h, i), d);
                    oi.Clear();
                    for (int j = 0; j < at.Keys; j++)
                        TensorPrimitives.MultiplyAdd(vs.Slice(at.KeyRow(b, h, j), d), probs[j], oi, oi);
                }
            }
        });
    }

    // Per query row i, from P_ij = exp(z_ij − lse_i) and the dropout factor m_ij (1/(1 − p) or 0):
    //   dv_j += P_ij·m_ij·dout_i             (out = (P ⊙ m)·V)
    //   dP_ij = m_ij·(dout_i·v_j)            (the gradient of the probabilities before dropout)
    //   dS_ij = P_ij·(dP_ij − D_i), D_i = dout_i·out_i = Σ_j P_ij·dP_ij   (softmax's backward)
    //   dq_i = scale·Σ_j dS_ij·k_j,  dk_j += scale·dS_ij·q_i
    private static void FusedAttentionBackward<T>(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse, Tensor doutput, Tensor dq, Tensor dk, Tensor dv) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var at = AttentionLayout.Of(q, k, heads);
        int d = at.HeadSize;
        T s = Cast<T>(scale), keepScale = Cast<T>(1.0 / (1.0 - p));
        // A (b, h) pair owns columns h·d … of its batch element's rows in dq, dk and dv: the tasks write disjoint elements.
        ParallelRows(at.Batch * at.Heads, 8L * at.Queries * at.Keys * d, (first, end) =>
        {
            ReadOnlySpan<T> qs = q.AsSpan<T>(), ks = k.AsSpan<T>(), vs = v.AsSpan<T>(), outs = output.AsSpan<T>(), douts = doutput.AsSpan<T>();
            ReadOnlySpan<T> masks = mask is null ? default : mask.AsSpan<T>(), lses = lse.AsSpan<T>();
            Span<T> dqs = dq.AsSpan<T>(), dks = dk.AsSpan<T>(), dvs = dv.AsSpan<T>();
            T[] probs = new T[at.Keys], factors = new T[at.Keys];
            for (int pair = first; pair < end; pair++)
            {
                int b = pair / at.Heads, h = pair % at.Heads;
                for (int j = 0; j < at.Keys; j++)
                {
                    dks.Slice(at.KeyRow(b, h, j), d).Clear();
                    dvs.Slice(at.KeyRow(b, h, j), d).Clear();
                }
                for (int i = 0; i < at.Queries; i++)
                {
                    ReadOnlySpan<T> qi = qs.Slice(at.QueryRow(b, h, i), d), douti = douts.Slice(at.QueryRow(b, h, i), d);
                    int row = at.ProbabilityRow(b, h, i);
                    T rowLse = lses[row], delta = TensorPrimitives.Dot(douti, outs.Slice(at.QueryRow(b, h, i), d));
                    for (int j = 0; j < at.Keys; j++)
                    {
                        T score = TensorPrimitives.Dot(qi, ks.Slice(at.KeyRow(b, h, j), d));
                        T z = mask is null ? score * s : T.FusedMultiplyAdd(score, s, masks[b * at.Keys + j]);
                        probs[j] = T.Exp(z - rowLse);
                    }
                    factors.AsSpan().Fill(T.One);
                    if (p > 0) Dropout<T>(factors, seed, offset + (ulong)row * (ulong)at.Keys, (float)p, keepScale, 0, at.Keys, factors);
                    var dqi = dqs.Slice(at.QueryRow(b, h, i), d);
                    dqi.Clear();
                    for (int j = 0; j < at.Keys; j++)
                    {
                        int kj = at.KeyRow(b, h, j);
                        T dprob = factors[j] * TensorPrimitives.Dot(douti, vs.Slice(kj, d));
                        T dscore = s * probs[j] * (dprob - delta);
                        TensorPrimitives.MultiplyAdd(douti, probs[j] * factors[j], dvs.Slice(kj, d), dvs.Slice(kj, d));
                        TensorPrimitives.MultiplyAdd(ks.Slice(kj, d), dscore, dqi, dqi);
                        TensorPrimitives.MultiplyAdd(qi, dscore, dks.Slice(kj, d), dks.Slice(kj, d));
                    }
                }
            }
        });
    }
}
