using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.Launch;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// <c>cudabert bench kernels</c>: every BERT kernel at BERT-base training shapes (B = 32, S = 128,
/// hidden 768, 12 heads, intermediate 3072, vocabulary 30522), timed by <see cref="EventTimer"/>, in
/// one table. Memory-bound kernels are rated in GB/s of the bytes they must move (each input read
/// once, each output written once) against a device-to-device copy measured in the same run; GEMMs
/// in TFLOP/s against cuBLAS at the same shape and transposes (the SIMT kernel against SGEMM, the
/// tensor-core kernel against cuBLAS TF32, the bf16 kernel against cuBLAS with bf16 inputs and fp32 accumulation).
/// </summary>
sealed class KernelBenchmarks(ICudaDevice gpu, Cublas? blas, EventTimer timer) : IDisposable
{
    const int B = 32, S = 128, Hidden = 768, Heads = 12, HeadDim = 64, Intermediate = 3072, Vocab = 30522;
    const int Tokens = B * S;
    /// <summary>bert-base-uncased's parameter count (pooler included): the length of the flat AdamW and gradient-norm buffers.</summary>
    const long Parameters = 109_482_240;

    readonly List<DevicePtr> buffers = [];
    readonly Random random = new(1234);

    /// <summary>One row of the table.</summary>
    public sealed record Row(string Kernel, string Shape, double Milliseconds, double? GigabytesPerSecond, double? CopyRatio,
        double? Teraflops, double? SgemmRatio, double? Tf32Ratio, double? Bf16Ratio = null);

    public List<Row> Run(TextWriter log)
    {
        var rows = new List<Row>();
        double copy = CopyBandwidth(rows);
        log.WriteLine($"device-to-device copy: {copy:F0} GB/s");
        log.WriteLine($"tensor-core GEMM: {HopperGemmKernels.TensorCorePath(gpu.Info)}");
        log.WriteLine($"bf16 tensor-core GEMM: {HopperGemmBf16Kernels.TensorCorePath(gpu.Info)}");
        log.WriteLine($"bf16 fused attention: {HopperFlashAttentionKernels.TensorCorePath(gpu.Info)}");

        // ---- GEMMs (the Linear layers of one encoder layer, attention's two batched products, the input and weight gradients)
        Gemm(rows, "linear QKV forward", false, true, 1, Tokens, 3 * Hidden, Hidden);
        Gemm(rows, "linear FFN up", false, true, 1, Tokens, Intermediate, Hidden);
        Gemm(rows, "linear FFN down", false, true, 1, Tokens, Hidden, Intermediate);
        Gemm(rows, "linear dX = dY·W", false, false, 1, Tokens, Hidden, Intermediate);
        Gemm(rows, "linear dW = dYᵀ·X", true, false, 1, Intermediate, Hidden, Tokens);
        Gemm(rows, "attention Q·Kᵀ", false, true, B * Heads, S, S, HeadDim);
        Gemm(rows, "attention P·V", false, false, B * Heads, S, HeadDim, S);
        FeedForwardInputGradient(rows);

        // ---- memory-bound kernels
        long ffn = (long)Tokens * Intermediate, hidden = (long)Tokens * Hidden, scores = (long)B * Heads * S * S;
        DevicePtr big = Floats(ffn), big2 = Floats(ffn), big3 = Floats(ffn), h = Floats(hidden), h2 = Floats(hidden), h3 = Floats(hidden);
        DevicePtr bias = Floats(Intermediate), gamma = Floats(Hidden), beta = Floats(Hidden), stats = Floats(Tokens), stats2 = Floats(Tokens);
        DevicePtr mask = Floats(B * S), p = Floats(scores), dp = Floats(scores), ds = Floats(scores);
        Memory(rows, "elementwise add", $"[{Tokens}, {Hidden}]", 3 * hidden, () => ElementwiseKernels.Add(gpu, h, h2, h3, hidden));
        Memory(rows, "bias add", $"[{Tokens}, {Intermediate}]", 2 * ffn, () => BiasKernels.Add(gpu, big, bias, big2, Tokens, Intermediate));
        var columnWorkspace = Bytes(BiasKernels.ColumnSumWorkspaceBytes(Tokens, Intermediate));
        Memory(rows, "bias gradient (column sum)", $"[{Tokens}, {Intermediate}]", ffn,
            () => BiasKernels.ColumnSum(gpu, big, bias, Tokens, Intermediate, columnWorkspace));
        Memory(rows, "GELU forward", $"[{Tokens}, {Intermediate}]", 2 * ffn, () => ActivationKernels.GeluForward(gpu, big, big2, ffn));
        Memory(rows, "GELU backward", $"[{Tokens}, {Intermediate}]", 3 * ffn, () => ActivationKernels.GeluBackward(gpu, big, big2, big3, ffn));
        Memory(rows, "GELU tanh forward", $"[{Tokens}, {Intermediate}]", 2 * ffn, () => ActivationKernels.GeluTanhForward(gpu, big, big2, ffn));
        Memory(rows, "GELU tanh backward", $"[{Tokens}, {Intermediate}]", 3 * ffn, () => ActivationKernels.GeluTanhBackward(gpu, big, big2, big3, ffn));
        Memory(rows, "sum over the last axis", $"[{Tokens}, {Hidden}]", hidden + Tokens,
            () => AxisSumKernels.Forward(gpu, h, stats, Tokens, Hidden, 1, 1.0));
        Memory(rows, "mean over the sequence axis", $"[{B}, {S}, {Hidden}]", hidden + (long)B * Hidden,
            () => AxisSumKernels.Forward(gpu, h, h2, B, S, Hidden, 1.0 / S));
        Memory(rows, "sum over an axis backward", $"[{B}, {S}, {Hidden}]", hidden + (long)B * Hidden,
            () => AxisSumKernels.Backward(gpu, h2, h, B, S, Hidden, 1.0 / S));
        Memory(rows, "dropout", $"[{Tokens}, {Intermediate}]", 2 * ffn, () => DropoutKernels.Apply(gpu, big, big2, ffn, 0.1, 42, 0));
        Memory(rows, "softmax forward (masked)", $"[{B}, {Heads}, {S}, {S}]", 2 * scores,
            () => SoftmaxKernels.Forward(gpu, ds, mask, p, B * Heads * S, S, Heads * S, 0.125f));
        Memory(rows, "softmax backward", $"[{B}, {Heads}, {S}, {S}]", 3 * scores,
            () => SoftmaxKernels.Backward(gpu, p, dp, ds, B * Heads * S, S, 0.125f));
        Memory(rows, "head split", $"[{B}, {S}, {Heads}, {HeadDim}]", 2 * hidden, () => PermuteKernels.SplitHeads(gpu, h, h2, B, S, Heads, HeadDim));
        Attention(rows, h, h2, h3, mask, p, dp, ds);
        LongAttention(rows);
        Memory(rows, "layer norm forward", $"[{Tokens}, {Hidden}]", 2 * hidden,
            () => LayerNormKernels.Forward(gpu, h, gamma, beta, h2, stats, stats2, Tokens, Hidden, 1e-12f));
        Memory(rows, "residual + layer norm forward", $"[{Tokens}, {Hidden}]", 4 * hidden,
            () => LayerNormKernels.ResidualForward(gpu, h, h2, gamma, beta, h3, big, stats, stats2, Tokens, Hidden, 1e-12f));
        var lnWorkspace = Bytes(LayerNormKernels.BackwardWorkspaceBytes(Tokens, Hidden));
        Memory(rows, "layer norm backward", $"[{Tokens}, {Hidden}]", 3 * hidden,
            () => LayerNormKernels.Backward(gpu, h, h2, gamma, stats, stats2, h3, bias, beta, Tokens, Hidden, lnWorkspace));

        DevicePtr table = Floats((long)Vocab * Hidden), ids = Ids(Tokens, Vocab);
        Memory(rows, "embedding gather", $"{Tokens} ids of [{Vocab}, {Hidden}]", 2 * hidden, () => EmbeddingKernels.Gather(gpu, table, ids, h, Tokens, Vocab, Hidden));
        Memory(rows, "embedding backward", $"{Tokens} ids into [{Vocab}, {Hidden}]", 2 * hidden, () => EmbeddingKernels.Backward(gpu, h, ids, table, Tokens, Vocab, Hidden));
        Memory(rows, "masked mean pool forward", $"[{B}, {S}, {Hidden}]", hidden, () => MeanPoolKernels.Forward(gpu, h, mask, h2, B, S, Hidden, 1e-9f));
        Memory(rows, "masked mean pool backward", $"[{B}, {S}, {Hidden}]", hidden, () => MeanPoolKernels.Backward(gpu, h2, mask, h, B, S, Hidden, 1e-9f));

        long logits = (long)Tokens * Vocab;
        DevicePtr z = Floats(logits), dz = Floats(logits), targets = Ids(Tokens, Vocab), loss = Floats(1), dloss = Floats(1);
        var ceWorkspace = Bytes(CrossEntropyKernels.WorkspaceBytes(Tokens));
        Memory(rows, "cross-entropy fwd+bwd", $"[{Tokens}, {Vocab}]", 2 * logits,
            () => CrossEntropyKernels.ForwardBackward(gpu, z, targets, default, -100, Tokens, Vocab, loss, dloss, dz, ceWorkspace));
        Release(z, dz);

        DevicePtr param = Floats(Parameters), grad = Floats(Parameters), m = Floats(Parameters), v = Floats(Parameters);
        Memory(rows, "AdamW step (flat)", $"{Parameters:N0} parameters", 7 * Parameters,
            () => OptimizerKernels.AdamWStep(gpu, param, grad, m, v, Parameters, 1e-4, 0.9, 0.999, 1e-8, 0.01, 10));
        var normWorkspace = Bytes(OptimizerKernels.SumOfSquaresWorkspaceBytes(Parameters));
        DevicePtr total = Bytes(sizeof(double));
        Memory(rows, "gradient norm (Σ g²)", $"{Parameters:N0} parameters", Parameters,
            () => OptimizerKernels.SumOfSquares(gpu, grad, Parameters, total, normWorkspace));

        // The same buffers cut into bert-base's tensors, one table entry each (what the CUDA backend launches;
        // the table upload is part of the time). The norm's max is +∞: the scaling pass returns at once.
        long[] sizes = BertBaseTensorSizes();
        var tensors = new MultiTensorOptimizerKernels.AdamWTensor[sizes.Length];
        var gradients = new DevicePtr[sizes.Length];
        for (int i = 0, offset = 0; i < sizes.Length; offset += (int)sizes[i], i++)
        {
            long bytes = (long)offset * sizeof(float);
            tensors[i] = new(param.Offset(bytes), grad.Offset(bytes), m.Offset(bytes), v.Offset(bytes), sizes[i], 1e-4, 0.9, 0.999, 1e-8, 0.01, 10);
            gradients[i] = grad.Offset(bytes);
        }
        var adamTable = Bytes(MultiTensorOptimizerKernels.AdamWWorkspaceBytes(sizes.Length));
        Memory(rows, "AdamW step (multi-tensor)", $"{sizes.Length} tensors, {Parameters:N0} parameters", 7 * Parameters,
            () => MultiTensorOptimizerKernels.AdamW(gpu, tensors, adamTable));
        var clipWorkspace = Bytes(MultiTensorOptimizerKernels.ClipGradNormWorkspaceBytes(sizes));
        Memory(rows, "gradient norm (multi-tensor)", $"{sizes.Length} tensors, {Parameters:N0} parameters", Parameters,
            () => MultiTensorOptimizerKernels.ClipGradNorm(gpu, gradients, sizes, double.PositiveInfinity, total, clipWorkspace));
        return rows;

        void Memory(List<Row> table, string name, string shape, long floatsMoved, Action work)
        {
            double ms = timer.MedianMilliseconds(work);
            double gbps = floatsMoved * 4.0 / (ms * 1e6);
            table.Add(new Row(name, shape, ms, gbps, gbps / copy, null, null, null));
        }
    }

    /// <summary>
    /// Attention of one layer (B = 32, 12 heads, S = 128, d = 64, padding mask, dropout 0.1) two ways, each rated in
    /// TFLOP/s of its products (forward Q·Kᵀ and P·V: 4·B·H·S²·d; backward dV, dP, dQ, dK: 8·B·H·S²·d):
    /// the fused FlashAttention-2 kernels (flash_attention.cu in fp32, flash_attention_mma.cu on TF32 and on bf16 tensor cores;
    /// on compute capability 9.x also flash_attention_wgmma.cu's forward and flash_attention_wgmma_backward.cu's backward, bf16 on wgmma), and the separate kernels the model runs
    /// without them — three head splits, Q·Kᵀ, masked softmax, dropout, P·V, a head merge (backward: a head
    /// split of dO, dV and dP, dropout and softmax backward, dQ and dK, three merges) — with the SIMT GEMM (fp32,
    /// as the fused kernels) and with the TF32 one.
    /// </summary>
    void Attention(List<Row> rows, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr probs, DevicePtr dprobs, DevicePtr scores)
    {
        const int pairs = B * Heads;
        const float scale = 0.125f;
        const double dropout = 0.1;
        long hidden = (long)Tokens * Hidden;
        double forwardFlops = 4.0 * pairs * S * S * HeadDim;
        DevicePtr output = Floats(hidden), doutput = Floats(hidden), dq = Floats(hidden), dk = Floats(hidden), dv = Floats(hidden);
        DevicePtr lse = Floats((long)pairs * S), delta = Floats((long)pairs * S);
        DevicePtr qh = Floats(hidden), kh = Floats(hidden), vh = Floats(hidden), oh = Floats(hidden), doh = Floats(hidden);
        DevicePtr dqh = Floats(hidden), dkh = Floats(hidden), dvh = Floats(hidden), dropped = Floats((long)pairs * S * S);
        var shape = new FlashAttentionKernels.Shape(B, Heads, S, S, HeadDim, scale, dropout, 42, 0);
        string name = $"[{B}, {S}, {Heads}·{HeadDim}], p = {dropout}";

        foreach (var precision in Enum.GetValues<FlashAttentionKernels.Precision>())
        {
            string kind = KernelKind(precision);
            Add($"fused attention forward{kind}", forwardFlops,
                () => FlashAttentionKernels.Forward(gpu, q, k, v, mask, output, lse, shape, precision: precision));
            Add($"fused attention backward{kind}", 2 * forwardFlops,
                () => FlashAttentionKernels.Backward(gpu, q, k, v, mask, output, lse, doutput, delta, dq, dk, dv, shape, precision: precision));
        }
        if (HopperFlashAttentionKernels.Supports(gpu.Info))
        {
            Add("fused attention forward (bf16 wgmma)", forwardFlops,
                () => HopperFlashAttentionKernels.Forward(gpu, q, k, v, mask, output, lse, shape));
            Add("fused attention backward (bf16 wgmma)", 2 * forwardFlops,
                () => HopperFlashAttentionKernels.Backward(gpu, q, k, v, mask, output, lse, doutput, delta, dq, dk, dv, shape));
        }
        foreach (bool tf32 in new[] { false, true })
        {
            string gemm = tf32 ? "TF32" : "SIMT";
            void Product(bool transA, bool transB, int m, int n, int kk, DevicePtr a, DevicePtr b, DevicePtr c) =>
                GemmKernels.Run(gpu, tf32, transA, transB, pairs, m, n, kk, 1f, a, b, 0f, c);
            Add($"attention forward, {gemm} GEMMs", forwardFlops, () =>
            {
                PermuteKernels.SplitHeads(gpu, q, qh, B, S, Heads, HeadDim);
                PermuteKernels.SplitHeads(gpu, k, kh, B, S, Heads, HeadDim);
                PermuteKernels.SplitHeads(gpu, v, vh, B, S, Heads, HeadDim);
                Product(false, true, S, S, HeadDim, qh, kh, scores);                        // Q·Kᵀ
                SoftmaxKernels.Forward(gpu, scores, mask, probs, pairs * S, S, Heads * S, scale);
                DropoutKernels.Apply(gpu, probs, dropped, (long)pairs * S * S, dropout, 42, 0);
                Product(false, false, S, HeadDim, S, dropped, vh, oh);                       // P·V
                PermuteKernels.MergeHeads(gpu, oh, output, B, Heads, S, HeadDim);
            });
            Add($"attention backward, {gemm} GEMMs", 2 * forwardFlops, () =>
            {
                PermuteKernels.SplitHeads(gpu, doutput, doh, B, S, Heads, HeadDim);
                Product(true, false, S, HeadDim, S, dropped, doh, dvh);                      // dV = Pᵀ·dO
                Product(false, true, S, S, HeadDim, doh, vh, dprobs);                        // dP = dO·Vᵀ
                DropoutKernels.Apply(gpu, dprobs, dprobs, (long)pairs * S * S, dropout, 42, 0);
                SoftmaxKernels.Backward(gpu, probs, dprobs, scores, pairs * S, S, scale);
                Product(false, false, S, HeadDim, S, scores, kh, dqh);                       // dQ = dS·K
                Product(true, false, S, HeadDim, S, scores, qh, dkh);                        // dK = dSᵀ·Q
                PermuteKernels.MergeHeads(gpu, dqh, dq, B, Heads, S, HeadDim);
                PermuteKernels.MergeHeads(gpu, dkh, dk, B, Heads, S, HeadDim);
                PermuteKernels.MergeHeads(gpu, dvh, dv, B, Heads, S, HeadDim);
            });
        }
        Release(output, doutput, dq, dk, dv, lse, delta, qh, kh, vh, oh, doh, dqh, dkh, dvh, dropped);

        void Add(string kernel, double flops, Action work)
        {
            double ms = timer.MedianMilliseconds(work);
            rows.Add(new Row(kernel, name, ms, null, null, flops / (ms * 1e9), null, null));
        }
    }

    /// <summary>
    /// The fused attention kernels, forward and backward, in each precision at the length where attention weighs
    /// most (B = 32, 12 heads, S = 512, d = 64, dropout 0.1, no mask; on 9.x also the bf16 wgmma forward and backward): the peer of tools/torch-bench/attention_sdpa.py,
    /// which times PyTorch's flash kernel (bf16) and its fp32 kernel at the same shape.
    /// </summary>
    void LongAttention(List<Row> rows)
    {
        const int seq = 512, pairs = B * Heads;
        long hidden = (long)B * seq * Hidden;
        double forwardFlops = 4.0 * pairs * seq * seq * HeadDim;
        DevicePtr q = Floats(hidden), k = Floats(hidden), v = Floats(hidden), output = Floats(hidden), doutput = Floats(hidden);
        DevicePtr dq = Floats(hidden), dk = Floats(hidden), dv = Floats(hidden), lse = Floats((long)pairs * seq), delta = Floats((long)pairs * seq);
        var shape = new FlashAttentionKernels.Shape(B, Heads, seq, seq, HeadDim, 0.125f, 0.1, 42, 0);
        string name = $"[{B}, {seq}, {Heads}·{HeadDim}], p = 0.1, no mask";
        foreach (var precision in Enum.GetValues<FlashAttentionKernels.Precision>())
        {
            string kind = KernelKind(precision);
            Add($"fused attention forward{kind}", forwardFlops,
                () => FlashAttentionKernels.Forward(gpu, q, k, v, DevicePtr.Null, output, lse, shape, precision: precision));
            Add($"fused attention backward{kind}", 2 * forwardFlops,
                () => FlashAttentionKernels.Backward(gpu, q, k, v, DevicePtr.Null, output, lse, doutput, delta, dq, dk, dv, shape, precision: precision));
        }
        if (HopperFlashAttentionKernels.Supports(gpu.Info))
        {
            Add("fused attention forward (bf16 wgmma)", forwardFlops,
                () => HopperFlashAttentionKernels.Forward(gpu, q, k, v, DevicePtr.Null, output, lse, shape));
            Add("fused attention backward (bf16 wgmma)", 2 * forwardFlops,
                () => HopperFlashAttentionKernels.Backward(gpu, q, k, v, DevicePtr.Null, output, lse, doutput, delta, dq, dk, dv, shape));
        }
        Release(q, k, v, output, doutput, dq, dk, dv, lse, delta);

        void Add(string kernel, double flops, Action work)
        {
            double ms = timer.MedianMilliseconds(work);
            rows.Add(new Row(kernel, name, ms, null, null, flops / (ms * 1e9), null, null));
        }
    }

    static string KernelKind(FlashAttentionKernels.Precision precision) => precision switch
    {
        FlashAttentionKernels.Precision.Tf32 => " (TF32 tensor cores)",
        FlashAttentionKernels.Precision.Bf16 => " (bf16 tensor cores)",
        _ => "",
    };

    /// <summary>
    /// The element counts of bert-base's 199 parameter tensors, in the model's order: the embeddings (word,
    /// position, type, LayerNorm γ and β), 12 layers of 16 (Q, K, V, output: weight and bias; LayerNorm;
    /// FFN up and down: weight and bias; LayerNorm), the pooler. They add up to <see cref="Parameters"/>.
    /// </summary>
    static long[] BertBaseTensorSizes()
    {
        long square = (long)Hidden * Hidden, ffn = (long)Hidden * Intermediate;
        long[] layer = [square, Hidden, square, Hidden, square, Hidden, square, Hidden, Hidden, Hidden, ffn, Intermediate, ffn, Hidden, Hidden, Hidden];
        long[] sizes = [(long)Vocab * Hidden, 512L * Hidden, 2L * Hidden, Hidden, Hidden, .. Enumerable.Repeat(layer, 12).SelectMany(l => l), square, Hidden];
        return sizes.Sum() == Parameters ? sizes : throw new InvalidOperationException($"bert-base tensor sizes add up to {sizes.Sum()}, not {Parameters}");
    }

    double CopyBandwidth(List<Row> rows)
    {
        const long floats = (long)Tokens * Intermediate;
        DevicePtr source = Floats(floats), destination = Floats(floats);
        double ms = timer.MedianMilliseconds(() => gpu.CopyDeviceToDevice(source, destination, floats * 4));
        double gbps = 2 * floats * 4.0 / (ms * 1e6);   // read + write
        rows.Add(new Row("device-to-device copy (reference)", $"{floats * 4 >> 20} MiB", ms, gbps, 1, null, null, null));
        Release(source, destination);
        return gbps;
    }

    /// <summary>
    /// Our SIMT kernel against cuBLAS SGEMM, our TF32 tensor-core kernel (the tile GemmKernels picks) against
    /// cuBLAS TF32, and the tensor-core kernel with the other tile, so one run shows whether the choice was right;
    /// on compute capability 9.x also Hopper's wgmma kernels (TF32 against cuBLAS TF32; bf16 beside the
    /// mma.sync bf16 row, against cuBLAS bf16), every layout.
    /// </summary>
    void Gemm(List<Row> rows, string name, bool transA, bool transB, int batch, int m, int n, int k)
    {
        DevicePtr a = Floats((long)batch * m * k), b = Floats((long)batch * k * n), c = Floats((long)batch * m * n);
        double flops = 2.0 * batch * m * n * k;
        string shape = $"{batch}×[{m}×{k}]{(transA ? "ᵀ" : "")}·[{k}×{n}]{(transB ? "ᵀ" : "")}";
        double simt = timer.MedianMilliseconds(() => GemmKernels.Simt(gpu, transA, transB, batch, m, n, k, 1f, a, b, 0f, c));
        var tile = GemmKernels.ChooseTf32Tile(gpu.Info, batch, m, n, k);
        var otherTile = tile == GemmTf32Tile.Large128 ? GemmTf32Tile.Small64 : GemmTf32Tile.Large128;
        bool otherFits = GemmKernels.Tf32SharedBytes(128) <= gpu.Info.MaxSharedBytesPerBlockOptIn;
        double tf32 = timer.MedianMilliseconds(() => GemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, 1f, a, b, 0f, c, tile: tile));
        double? tf32Other = otherFits
            ? timer.MedianMilliseconds(() => GemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, 1f, a, b, 0f, c, tile: otherTile))
            : null;
        double? blasSgemm = null, blasTf32 = null;
        if (blas is not null)
        {
            blasSgemm = timer.MedianMilliseconds(() => blas.GemmStridedBatched(transA, transB, m, n, k, 1f, a, (long)m * k, b, (long)k * n, 0f, c, (long)m * n, batch));
            blasTf32 = timer.MedianMilliseconds(() => blas.GemmStridedBatched(transA, transB, m, n, k, 1f, a, (long)m * k, b, (long)k * n, 0f, c, (long)m * n, batch,
                Cublas.Precision.Tf32));
        }
        // bfloat16 operands (half the bytes of A and B), fp32 C, as the mixed-precision Linear layers run.
        DevicePtr a16 = Bytes((long)batch * m * k * 2), b16 = Bytes((long)batch * k * n * 2);
        CastKernels.Float32ToBFloat16(gpu, a, a16, (long)batch * m * k);
        CastKernels.Float32ToBFloat16(gpu, b, b16, (long)batch * k * n);
        double bf16 = timer.MedianMilliseconds(() => GemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, 1f, a16, b16, 0f, c, cIsBFloat16: false));
        double? blasBf16 = blas is null ? null
            : timer.MedianMilliseconds(() => blas.GemmStridedBatched(transA, transB, m, n, k, 1f, a16, (long)m * k, b16, (long)k * n, 0f, c, (long)m * n, batch,
                Cublas.Precision.Bf16));
        rows.Add(new Row($"GEMM SIMT: {name}", shape, simt, null, null, flops / (simt * 1e9), blasSgemm / simt, null));
        rows.Add(new Row($"GEMM TF32: {name}", $"{shape} {TileName(tile)}", tf32, null, null, flops / (tf32 * 1e9), null, blasTf32 / tf32));
        if (tf32Other is double other)
            rows.Add(new Row($"GEMM TF32, other tile: {name}", $"{shape} {TileName(otherTile)}", other, null, null, flops / (other * 1e9), null, blasTf32 / other));
        if (HopperGemmKernels.Supports(gpu.Info))
        {
            // Split-K as the cost model picks it (HopperGemmKernels.Splits), and unsplit beside it when it splits.
            int splits = HopperGemmKernels.Splits(batch, m, n, k, gpu.Info.MultiprocessorCount);
            long workspaceBytes = HopperGemmKernels.WorkspaceBytes(gpu.Info, batch, m, n, k);
            DevicePtr workspace = Bytes(workspaceBytes);
            double Wgmma(int s) => timer.MedianMilliseconds(() => HopperGemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, 1f,
                a, transA ? m : k, (long)m * k, b, transB ? k : n, (long)k * n, 0f, c, n, (long)m * n,
                workspace: workspace, workspaceBytes: workspaceBytes, splits: s));
            double wgmma = Wgmma(splits);
            string feed = transA || !transB ? "TMA, transposed on chip" : "TMA";
            rows.Add(new Row($"GEMM TF32 wgmma: {name}", $"{shape} 128×128 tile, {feed}, split-K {splits}", wgmma, null, null, flops / (wgmma * 1e9), null, blasTf32 / wgmma));
            if (splits > 1)
            {
                double unsplit = Wgmma(1);
                rows.Add(new Row($"GEMM TF32 wgmma, unsplit: {name}", $"{shape} 128×128 tile, {feed}", unsplit, null, null, flops / (unsplit * 1e9), null, blasTf32 / unsplit));
            }
            Release(workspace);
        }
        rows.Add(new Row($"GEMM bf16: {name}", $"{shape} 64×64 tile", bf16, null, null, flops / (bf16 * 1e9), null, null, blasBf16 / bf16));
        if (HopperGemmBf16Kernels.Supports(gpu.Info, a16, transA ? m : k, (long)m * k, b16, transB ? k : n, (long)k * n))
        {
            double wgmma = timer.MedianMilliseconds(() => HopperGemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, 1f, a16, b16, 0f, c, cIsBFloat16: false));
            rows.Add(new Row($"GEMM bf16 wgmma: {name}", $"{shape} 128×128 tile, TMA", wgmma, null, null, flops / (wgmma * 1e9), null, null, blasBf16 / wgmma));
        }
        Release(a, b, c, a16, b16);
    }

    /// <summary>
    /// The feed-forward block's dz = (dY·W2) ⊙ GELU′(z) — dY [tokens, hidden], W2 [hidden, intermediate], z and dz
    /// [tokens, intermediate] — two ways per precision (fp32 SIMT, TF32 and bf16 tensor cores, the kernels the CUDA
    /// backend picks): one GEMM with the GELU-derivative epilogue, and the GEMM writing dY·W2 followed by the GELU
    /// backward kernel reading it back (what the separate ops run). Rated in TFLOP/s of the product (2·M·N·K).
    /// </summary>
    void FeedForwardInputGradient(List<Row> rows)
    {
        const int m = Tokens, n = Intermediate, k = Hidden;
        DevicePtr dy = Floats((long)m * k), w = Floats((long)k * n), z = Floats((long)m * n), dh = Floats((long)m * n), dz = Floats((long)m * n);
        DevicePtr dy16 = Bytes((long)m * k * 2), w16 = Bytes((long)k * n * 2);
        CastKernels.Float32ToBFloat16(gpu, dy, dy16, (long)m * k);
        CastKernels.Float32ToBFloat16(gpu, w, w16, (long)k * n);
        double flops = 2.0 * m * n * k;
        string shape = $"[{m}×{k}]·[{k}×{n}] ⊙ GELU′([{m}×{n}])";
        foreach (string precision in new[] { "fp32", "TF32", "bf16" })
        {
            Action<GemmEpilogue, DevicePtr, DevicePtr> product = precision == "bf16"
                ? (epilogue, c, aux) => GemmBf16Kernels.Dispatch(gpu, false, false, 1, m, n, k, 1f, dy16, w16, 0f, c, cIsBFloat16: false, epilogue: epilogue, aux: aux)
                : (epilogue, c, aux) => GemmKernels.Run(gpu, precision == "TF32", false, false, 1, m, n, k, 1f, dy, w, 0f, c, epilogue: epilogue, aux: aux);
            double fused = timer.MedianMilliseconds(() => product(GemmEpilogue.GeluDerivative, dz, z));
            double separate = timer.MedianMilliseconds(() =>
            {
                product(GemmEpilogue.None, dh, default);
                ActivationKernels.GeluBackward(gpu, z, dh, dz, (long)m * n);
            });
            rows.Add(new Row($"FFN dz = dY·W ⊙ GELU′(z), {precision}: GELU′ epilogue", shape, fused, null, null, flops / (fused * 1e9), null, null));
            rows.Add(new Row($"FFN dz = dY·W ⊙ GELU′(z), {precision}: GEMM + GELU backward", shape, separate, null, null, flops / (separate * 1e9), null, null));
        }
        Release(dy, w, z, dh, dz, dy16, w16);
    }

    static string TileName(GemmTf32Tile tile) => tile == GemmTf32Tile.Small64 ? "64×64 tile" : "128×128 tile";

    DevicePtr Floats(long count)
    {
        var pointer = Bytes(count * sizeof(float));
        var values = new float[Math.Min(count, 1 << 24)];
        for (int i = 0; i < values.Length; i++) values[i] = 2 * random.NextSingle() - 1;
        for (long done = 0; done < count; done += values.Length)
            gpu.CopyToDevice<float>(values.AsSpan(0, (int)Math.Min(values.Length, count - done)), pointer.Offset(done * sizeof(float)));
        return pointer;
    }

    DevicePtr Ids(int count, int below)
    {
        var pointer = Bytes((long)count * sizeof(int));
        gpu.CopyToDevice<int>(Enumerable.Range(0, count).Select(_ => random.Next(below)).ToArray(), pointer);
        return pointer;
    }

    DevicePtr Bytes(long count)
    {
        var pointer = gpu.Allocate(Math.Max(count, 4));
        buffers.Add(pointer);
        return pointer;
    }

    void Release(params DevicePtr[] pointers)
    {
        foreach (var pointer in pointers)
        {
            gpu.Free(pointer);
            buffers.Remove(pointer);
        }
    }

    public void Dispose()
    {
        foreach (var pointer in buffers) gpu.Free(pointer);
        buffers.Clear();
    }
}
