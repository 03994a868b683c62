using CudaBert.Engine.Memory;

namespace CudaBert.Engine.Backends;

/// <summary>
/// The primitive operations of BERT training on one device. Autograd and the ops are written once
/// on top of this interface; the CPU backend implements it in C#, the CUDA backend with one kernel
/// (or a few) per method. Every method writes into output tensors the caller has allocated with
/// the right shape, and never allocates tensors itself. Shapes are checked by the callers (the
/// ops); backends may assume them. "Rows" means the tensor seen as [NumElements / Last, Last].
/// Element-wise primitives (Add, Sub, Mul, Scale, AddBias, Gelu, GeluTanh, Tanh, Dropout) must
/// accept an output that is exactly one of their inputs (in-place use); no other aliasing is allowed.
/// Floating-point tensors are float32, or float64 where the backend supports it (CPU); bfloat16 and
/// float16 tensors are storage, read and written by the memory primitives, Cast, and Gemm (bf16 operands).
/// Each section below is one partial-class file of each backend, named the same on both sides.
/// </summary>
public interface IBackend
{
    /// <summary>The device whose tensors this backend computes on; every tensor passed in lives there.</summary>
    Device Device { get; }

    // ---- memory · CpuBackend.cs, CudaBackend.cs -----------------------------------------------------------
    /// <summary>
    /// New storage of <paramref name="byteLength"/> bytes on <see cref="Device"/>, holding one reference.
    /// Its contents are undefined until written; 0 bytes is allowed (an empty tensor).
    /// </summary>
    Storage Allocate(long byteLength);
    /// <summary>
    /// Copies host bytes into <paramref name="destination"/>: <paramref name="source"/> holds its
    /// elements in row-major order and in its dtype, exactly <c>destination.ByteLength</c> bytes.
    /// </summary>
    void CopyFromHost(ReadOnlySpan<byte> source, Tensor destination);
    /// <summary>
    /// Copies the raw bytes of <paramref name="source"/> (row-major, its dtype) into host memory of
    /// exactly <c>source.ByteLength</c> bytes; on a GPU this waits for the work queued before it.
    /// </summary>
    void CopyToHost(Tensor source, Span<byte> destination);
    /// <summary>
    /// Sets every element of <paramref name="x"/> to <paramref name="value"/> converted to its dtype.
    /// The CUDA backend fills tensors other than float32 with zero only.
    /// </summary>
    void Fill(Tensor x, double value);
    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>, same device, dtype and element count (bytes as they are).</summary>
    void Copy(Tensor source, Tensor destination);
    /// <summary>
    /// Copies <paramref name="count"/> elements of <paramref name="source"/> from element <paramref name="sourceStart"/> to
    /// <paramref name="destination"/> from element <paramref name="destinationStart"/> (same device and dtype, bytes as they are):
    /// e.g. a scalar into one slot of a buffer that is read back later, all slots at once.
    /// </summary>
    void CopyElements(Tensor source, long sourceStart, Tensor destination, long destinationStart, long count);
    /// <summary>
    /// Element-wise conversion between any two dtypes (floats to integers truncate; a narrower float is the
    /// nearest value, ties to even, a NaN stays NaN). The CUDA backend converts Int32 ↔ Float32 and between
    /// Float32, BFloat16 and Float16.
    /// </summary>
    void Cast(Tensor source, Tensor destination);

    // ---- matrix products · CpuBackend.Gemm.cs, CudaBackend.Gemm.cs ----------------------------------------
    /// <summary>
    /// <paramref name="batch"/> independent row-major products C = α·op(A)·op(B) + β·C with op(A) M×K,
    /// op(B) K×N, C M×N; each operand is contiguous and the batches follow each other. A, B and C are
    /// float32 (or float64 on the CPU), or A and B are bfloat16 (mixed precision): the products are
    /// accumulated in float32 and C is float32 or bfloat16 (rounded once, to nearest even).
    /// </summary>
    void Gemm(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    // ---- element-wise · CpuBackend.Elementwise.cs, CudaBackend.Elementwise.cs -----------------------------
    /// <summary>y = a + b element by element (same shape and dtype).</summary>
    void Add(Tensor a, Tensor b, Tensor y);
    /// <summary>y = a − b element by element (same shape and dtype).</summary>
    void Sub(Tensor a, Tensor b, Tensor y);
    /// <summary>y = a ⊙ b, the element-wise (Hadamard) product (same shape and dtype).</summary>
    void Mul(Tensor a, Tensor b, Tensor y);
    /// <summary>y = α·x.</summary>
    void Scale(Tensor x, double alpha, Tensor y);
    /// <summary>y += α·x (gradient accumulation, SGD-style updates).</summary>
    void AddScaledInPlace(Tensor y, double alpha, Tensor x);
    /// <summary>y[r, j] = x[r, j] + bias[j].</summary>
    void AddBias(Tensor x, Tensor bias, Tensor y);
    /// <summary>sums[j] = Σ_r x[r, j] (the bias gradient).</summary>
    void SumRows(Tensor x, Tensor sums);

    // ---- activations · CpuBackend.Activations.cs, CudaBackend.Activations.cs ------------------------------
    /// <summary>GELU with the exact Gauss error function: y = x·Φ(x).</summary>
    void Gelu(Tensor x, Tensor y);
    /// <summary>dx = dy·(Φ(x) + x·φ(x)), the gradient of <see cref="Gelu"/> from its forward input x (φ: the standard normal density).</summary>
    void GeluBackward(Tensor x, Tensor dy, Tensor dx);
    /// <summary>y = tanh(x) element by element (BERT's pooler activation).</summary>
    void Tanh(Tensor x, Tensor y);
    /// <summary>dx = dy·(1 − y²), from the forward output y.</summary>
    void TanhBackward(Tensor y, Tensor dy, Tensor dx);
    /// <summary>
    /// GELU's tanh approximation (Hugging Face's <c>gelu_new</c> / <c>gelu_pytorch_tanh</c>):
    /// y = ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    /// </summary>
    void GeluTanh(Tensor x, Tensor y);
    /// <summary>dx = dy·dGeluTanh/dx, from the forward input x.</summary>
    void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx);

    // ---- reductions · CpuBackend.Reduction.cs and .AxisReduction.cs, the same on CudaBackend --------------
    /// <summary>total[0] = Σ x.</summary>
    void Sum(Tensor x, Tensor total);
    /// <summary>Σ x² accumulated in double, read back to the host (<see cref="ClipGradNorm"/> keeps it on the device).</summary>
    double SumOfSquares(Tensor x);
    /// <summary>
    /// y[o, i] = scale·Σ_a x[o, a, i], x seen as [outer, x.Shape[axis], inner] (outer: the product of
    /// the axes before <paramref name="axis"/>, inner: of those after). y holds outer·inner elements
    /// (any shape: with or without the reduced axis kept as 1). scale = 1/x.Shape[axis] gives the mean.
    /// </summary>
    void SumAxis(Tensor x, int axis, double scale, Tensor y);
    /// <summary>dx[o, a, i] = scale·dy[o, i]: the gradient of <see cref="SumAxis"/>, <paramref name="axis"/> an axis of dx.</summary>
    void SumAxisBackward(Tensor dy, int axis, double scale, Tensor dx);

    // ---- attention · CpuBackend.Attention.cs, CudaBackend.Attention.cs ------------------------------------
    /// <summary>
    /// probs = softmax(scores·scale + mask) over the last axis. scores is [B, …, Sk]; the additive
    /// mask (optional) is [B, Sk] and broadcast over the middle axes (heads, query positions).
    /// </summary>
    void ScaledMaskedSoftmax(Tensor scores, Tensor? mask, double scale, Tensor probs);
    /// <summary>dscores = scale · p ⊙ (dp − Σ_j dp_j p_j) per row.</summary>
    void ScaledMaskedSoftmaxBackward(Tensor probs, Tensor dprobs, double scale, Tensor dscores);
    /// <summary>y = x with its axes permuted: y.Shape[i] = x.Shape[axes[i]] (head split/merge, transpose).</summary>
    void Permute(Tensor x, ReadOnlySpan<int> axes, Tensor y);

    // ---- normalization · CpuBackend.Normalization.cs, CudaBackend.Normalization.cs ------------------------
    /// <summary>Per row: y = (x − μ)·rstd·γ + β with rstd = 1/√(σ² + ε) (biased variance); saves μ and rstd per row.</summary>
    void LayerNorm(Tensor x, Tensor gamma, Tensor beta, double eps, Tensor y, Tensor mean, Tensor rstd);
    /// <summary>Writes dx, and overwrites dgamma, dbeta (sums over rows).</summary>
    void LayerNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta);

    // ---- embeddings and pooling · CpuBackend.Embedding.cs, CudaBackend.Embedding.cs -----------------------
    /// <summary>y[i, :] = table[ids[i], :]. ids are int32 or int64; an id outside the table throws.</summary>
    void EmbeddingGather(Tensor table, Tensor ids, Tensor y);
    /// <summary>dtable[ids[i], :] += dy[i, :] (repeated ids accumulate).</summary>
    void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable);
    /// <summary>y[b, :] = Σ_s h[b, s, :]·mask[b, s] / max(Σ_s mask[b, s], eps). h [B, S, H], mask [B, S] (h's dtype).</summary>
    void MaskedMeanPool(Tensor h, Tensor mask, double eps, Tensor y);
    /// <summary>dh[b, s, :] = dy[b, :]·mask[b, s] / max(Σ_s mask[b, s], eps).</summary>
    void MaskedMeanPoolBackward(Tensor dy, Tensor mask, double eps, Tensor dh);

    // ---- losses · CpuBackend.Loss.cs, CudaBackend.Loss.cs -------------------------------------------------
    /// <summary>
    /// loss[0] = Σ_i w[t_i]·(−log softmax(logits_i)[t_i]) / Σ_i w[t_i] over rows whose target t_i ≠
    /// ignoreIndex (w ≡ 1 without weights); NaN when every row is ignored (as PyTorch).
    /// logits [N, C], targets [N] int32/int64, weights [C] or null.
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor loss);
    /// <summary>dlogits_i = dloss·w[t_i]·(softmax(logits_i) − onehot(t_i)) / Σ w; zero on ignored rows.</summary>
    void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor dloss, Tensor dlogits);

    // ---- linear-chain CRF · CpuBackend.Crf.cs, CudaBackend.Crf.cs -------------------------------------------
    /// <summary>
    /// loss[0] = scale · Σ_b (log Z_b − score_b(tags_b)): the negative log-likelihood of each sequence's
    /// tags under a linear-chain CRF, summed and scaled (1/B for a mean). emissions [B, W, T]; tags [B, W]
    /// int32/int64, each row a run of tags in [0, T) then −100 up to W (the sequence's length is the run's);
    /// transitions [T, T] (from, to), start [T], end [T]. A row with no tag, a tag out of range, or a tag
    /// after a −100 throws on the CPU; the CUDA backend, which does not read tags back, makes the loss NaN.
    /// </summary>
    void CrfNegativeLogLikelihood(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor loss);
    /// <summary>
    /// The gradients of that loss times dloss[0]: marginal − one-hot for each word's tag (demissions,
    /// 0 after a sequence's end), first and last word (dstart, dend) and each pair of neighbouring words
    /// (dtransitions), summed over sequences. Every output is overwritten.
    /// </summary>
    void CrfNegativeLogLikelihoodBackward(Tensor emissions, Tensor tags, Tensor transitions, Tensor start, Tensor end, double scale, Tensor dloss,
        Tensor demissions, Tensor dtransitions, Tensor dstart, Tensor dend);

    // ---- dropout · CpuBackend.Dropout.cs, CudaBackend.Dropout.cs ------------------------------------------
    /// <summary>
    /// y = x·keep/(1 − p) where keep_i = (u_i ≥ p) and u_i = <see cref="Random.Philox.ToUniform"/> of
    /// <see cref="Random.Philox.Word"/>(seed, offset + i). The backward pass regenerates the mask.
    /// </summary>
    void Dropout(Tensor x, double p, ulong seed, ulong offset, Tensor y);

    // ---- fused · CpuBackend.Fused.cs, CudaBackend.Fused.cs ------------------------------------------------
    /// <summary>
    /// z = x·Wᵀ + b and y = GELU(z) (exact erf form) in one primitive: x [rows, in], weight [out, in],
    /// bias [out], y [rows, out]. The backward needs z: pass <paramref name="preActivation"/> ([rows, out])
    /// to have it written, or null when no gradient is wanted (the CUDA backend then runs one GEMM with
    /// the bias+GELU epilogue and z never reaches memory). On the CPU, y equals Gemm, AddBias, Gelu run
    /// one after the other, bit for bit. With z written, y equals <see cref="Gelu"/> of z bit for bit on every
    /// backend (<see cref="Ops.LinearGeluLinear"/>'s backward recomputes y from z).
    /// </summary>
    void LinearBiasGelu(Tensor x, Tensor weight, Tensor bias, Tensor? preActivation, Tensor y);
    /// <summary>
    /// dz = (dy·W) ⊙ GELU′(z): the gradient of z through GELU(z)·Wᵀ, a linear layer's input gradient and GELU's
    /// backward in one primitive. dy [rows, out], weight [out, in], z and dz [rows, in]. dy and weight are both
    /// float32 (or float64 on the CPU) or both bfloat16 (a product as <see cref="Gemm"/> takes them); z and dz are
    /// float32 then. On the CPU dz equals Gemm, then <see cref="GeluBackward"/>, bit for bit; the CUDA backend runs
    /// one GEMM with the GELU-derivative epilogue, so dy·W never reaches memory.
    /// </summary>
    void LinearInputGradientGelu(Tensor dy, Tensor weight, Tensor z, Tensor dz);
    /// <summary>
    /// sum = dropout(x) + residual and y = LayerNorm(sum) per row, saving sum, μ and rstd for the backward
    /// (<see cref="LayerNormBackward"/> with sum as its x). The dropout is <see cref="Dropout"/>'s, the same
    /// mask bits for the same (seed, offset); p = 0 skips it. On the CPU the results equal Dropout, Add,
    /// LayerNorm run one after the other, bit for bit.
    /// </summary>
    void DropoutResidualLayerNorm(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor gamma, Tensor beta, double eps,
        Tensor sum, Tensor y, Tensor mean, Tensor rstd);

    // ---- fused attention · CpuBackend.FusedAttention.cs, CudaBackend.FusedAttention.cs ----------------------
    /// <summary>
    /// Multi-head attention in one primitive (FlashAttention-2): per batch element b and head h,
    /// output = dropout(softmax(Q·Kᵀ·scale + mask))·V, writing only the output and the row log-sum-exp
    /// lse[b, h, i] = log Σ_j exp(z_ij) of z = Q·Kᵀ·scale + mask, never the [B, H, Sq, Sk] probabilities.
    /// Layout: q [B, Sq, H·d], k and v [B, Sk, H·d], output [B, Sq, H·d] — the projections' outputs as they
    /// are, head h in columns h·d … h·d + d − 1, so no head split or merge permute is needed; lse [B, H, Sq];
    /// mask (optional) the additive key mask [B, Sk]. Dropout (p = 0: none) keeps probability (i, j) of head
    /// h of batch element b when the <see cref="Random.Philox"/> uniform at stream position
    /// offset + ((b·H + h)·Sq + i)·Sk + j is ≥ p — that element's position in the [B, H, Sq, Sk]
    /// probability tensor — and scales it by 1/(1 − p): the mask <see cref="Dropout"/> draws on the probabilities.
    /// </summary>
    void FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse);
    /// <summary>
    /// The gradients dq, dk, dv (overwritten, the shapes of q, k, v) of <see cref="FusedAttention"/> given
    /// doutput, from its inputs, its output and the saved lse: the probabilities are recomputed as
    /// P = exp(z − lse), and with D_i = Σ_c doutput_ic·output_ic, dS = P ⊙ (dP − D) where dP is the
    /// gradient of the (dropped-out) probabilities; dq = scale·dS·K, dk = scale·dSᵀ·Q, dv = (dropout(P))ᵀ·doutput.
    /// </summary>
    void FusedAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p, ulong seed, ulong offset,
        Tensor output, Tensor lse, Tensor doutput, Tensor dq, Tensor dk, Tensor dv);
    /// <summary>
    /// Whether the model should run its attention as <see cref="FusedAttention"/> on <paramref name="dtype"/>
    /// tensors with heads of <paramref name="headSize"/>: this backend has it for them and it is the path to take here.
    /// </summary>
    bool PrefersFusedAttention(DType dtype, int headSize);

    // ---- optimizer · CpuBackend.Optimizer.cs, CudaBackend.Optimizer.cs ------------------------------------
    /// <summary>
    /// One AdamW update of a parameter and its moments in place, as <c>torch.optim.AdamW</c> (see
    /// <see cref="AdamWStepArgs"/>): θ ← θ·(1 − lr·λ); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
    /// θ ← θ − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε). All four tensors have the same shape and dtype.
    /// </summary>
    void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWStepArgs args);
    /// <summary>
    /// <see cref="AdamWStep"/> of every update, each with its own scalars (a parameter group's learning
    /// rate and weight decay, the parameter's step count): the same results, bit for bit. The CUDA
    /// backend runs them all in one launch (a multi-tensor kernel) instead of one per parameter.
    /// </summary>
    void AdamWSteps(ReadOnlySpan<AdamWUpdate> updates);
    /// <summary>
    /// Global-norm gradient clipping without reading anything back: norm[0] (a Float64 tensor on this
    /// device) = ‖g‖ = √(Σ over every tensor of Σ g²), accumulated in double; when maxNorm / (‖g‖ + 1e-6) &lt; 1
    /// every tensor is multiplied in place by that factor (<c>torch.nn.utils.clip_grad_norm_</c>).
    /// <paramref name="maxNorm"/> = +∞ computes the norm only. The CPU sums tensor by tensor in order;
    /// the CUDA backend by chunks (three launches in all), so its norm may differ in the last bits.
    /// </summary>
    void ClipGradNorm(ReadOnlySpan<Tensor> grads, double maxNorm, Tensor norm);
}

/// <summary>
/// One parameter's part of <see cref="IBackend.AdamWSteps"/>: the arguments of <see cref="IBackend.AdamWStep"/>, and
/// optionally a bfloat16 tensor of the parameter's shape that receives the updated parameter rounded to
/// nearest even, in the same pass (mixed precision's weight copy, <see cref="Tensor.BFloat16Copy"/>).
/// </summary>
public readonly record struct AdamWUpdate(Tensor Param, Tensor Grad, Tensor ExpAvg, Tensor ExpAvgSq, AdamWStepArgs Args, Tensor? BFloat16Copy = null);

/// <summary>Scalars of one AdamW update; <see cref="Step"/> counts from 1.</summary>
/// <param name="LearningRate">The step size lr of this update (after any schedule).</param>
/// <param name="Beta1">Decay of the first moment m (PyTorch's default 0.9).</param>
/// <param name="Beta2">Decay of the second moment v (PyTorch's default 0.999).</param>
/// <param name="Eps">Added to √v̂ in the denominator, against division by zero.</param>
/// <param name="WeightDecay">Decoupled decay: the parameter is first multiplied by 1 − lr·WeightDecay.</param>
/// <param name="Step">How many updates this parameter has had, this one included (bias correction 1 − βᵗ).</param>
public readonly record struct AdamWStepArgs(double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay, long Step);
