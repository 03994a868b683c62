using System.Text.Json;
using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Export.Onnx;
using CudaBert.Model.Import.Onnx;
using static CudaBert.Model.Export.Onnx.OnnxGraphBuilder;

namespace CudaBert.Model.Export;

/// <summary>
/// Writes a <see cref="MultiTaskBert"/> as one ONNX graph (opset 17, float32) with both heads.
/// <list type="bullet">
/// <item>Inputs: <c>input_ids</c>, <c>attention_mask</c> (1 = token, 0 = padding), <c>token_type_ids</c>;
/// int64 [batch, sequence], both dimensions chosen at run time.</item>
/// <item>Outputs: <c>sentence_logits</c> [batch, sentence labels] (masked mean of the last hidden states →
/// <c>classifier</c>) and <c>token_logits</c> [batch, sequence, token labels] (<c>token_classifier</c> on
/// every position). A model with a CRF token head adds its scores as three constant outputs,
/// <c>crf_transitions</c> [token labels, token labels] (from, to), <c>crf_start_transitions</c> and
/// <c>crf_end_transitions</c> [token labels]: the graph gives the emissions (<c>token_logits</c>), and the
/// Viterbi decoding over them is not part of it (a consumer runs it, as <see cref="CudaBert.Engine.Nn.CrfViterbi"/> does,
/// on each word's first sub-token); the metadata then has <c>token_head</c> = <c>crf</c>.</item>
/// <item>The initializers are exactly the trained parameters, under their checkpoint names; a Linear
/// weight used by a MatMul is stored transposed, [in, out], as PyTorch's exporter stores it, so our
/// ONNX importer reads the encoder back. The label names are in the model's metadata
/// (<c>sentence_labels</c>, <c>token_labels</c>: JSON arrays in id order).</item>
/// </list>
/// The graph computes what <see cref="MultiTaskBert.Forward"/> computes in evaluation mode (no dropout).
/// </summary>
public static class OnnxExport
{
    /// <summary>The opset of the default domain: 17 is the first with LayerNormalization.</summary>
    public const long OpsetVersion = 17;

    /// <summary>ONNX IR version 8, the one that goes with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>Metadata key of the sentence labels (a JSON array in id order).</summary>
    public const string SentenceLabelsKey = "sentence_labels";

    /// <summary>Metadata key of the token labels (a JSON array in id order).</summary>
    public const string TokenLabelsKey = "token_labels";

    /// <summary>Metadata key of the token head (<c>crf</c>), present only for a model with a CRF token head.</summary>
    public const string TokenHeadKey = "token_head";

    /// <summary>Writes the ONNX file at <paramref name="path"/>.</summary>
    public static void Write(string path, MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels) =>
        File.WriteAllBytes(path, OnnxModelWriter.Write(Build(model, sentenceLabels, tokenLabels)));

    /// <summary>The ONNX model of <paramref name="model"/>; the label sets must match its heads.</summary>
    public static OnnxModel Build(MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels)
    {
        if (sentenceLabels.Count != model.NumSentenceLabels || tokenLabels.Count != model.NumTokenLabels)
            throw new ArgumentException(
                $"ONNX export: {sentenceLabels.Count} sentence and {tokenLabels.Count} token labels for heads of " +
                $"{model.NumSentenceLabels} and {model.NumTokenLabels} outputs");
        var graph = new BertGraph(model);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SentenceLabelsKey] = JsonSerializer.Serialize(sentenceLabels.Labels),
            [TokenLabelsKey] = JsonSerializer.Serialize(tokenLabels.Labels),
        };
        if (model.Crf is not null) metadata[TokenHeadKey] = TokenHeadNames.Crf;
        return new OnnxModel(IrVersion, "cudabert", "", [new OnnxOpset("", OpsetVersion)], graph.Build(), metadata);
    }

    /// <summary>The graph, built one BERT block per method in the order of the forward pass.</summary>
    sealed class BertGraph(MultiTaskBert model)
    {
        readonly OnnxGraphBuilder _g = new();
        readonly BertConfig _config = model.Config;

        public OnnxGraph Build()
        {
            string inputIds = _g.Input("input_ids"), attentionMask = _g.Input("attention_mask"), tokenTypeIds = _g.Input("token_type_ids");
            string mask = _g.Node("Cast", "mask_float", [attentionMask], NodeAttribute.Int("to", (long)OnnxDataType.Float));

            string hidden = Embeddings(inputIds, tokenTypeIds);
            string additiveMask = AdditiveMask(mask);
            for (int i = 0; i < _config.NumHiddenLayers; i++)
                hidden = Layer(hidden, additiveMask, model.Encoder.Encoder.Layers[i], $"bert.encoder.layer.{i}");

            string pooled = MaskedMean(hidden, mask);
            _g.Node("Identity", "sentence_logits", [Linear(pooled, model.Classifier, "classifier")]);
            _g.Node("Identity", "token_logits", [Linear(hidden, model.TokenClassifier, "token_classifier")]);

            OnnxValueInfo Int64Input(string name) => new(name, OnnxDataType.Int64, ["batch", "sequence"]);
            List<OnnxValueInfo> outputs =
            [
                new("sentence_logits", OnnxDataType.Float, ["batch", Count(model.NumSentenceLabels)]),
                new("token_logits", OnnxDataType.Float, ["batch", "sequence", Count(model.NumTokenLabels)]),
            ];
            if (model.Crf is { } crf) outputs.AddRange(CrfScores(crf));
            return _g.Build("cudabert_multitask_bert", [Int64Input(inputIds), Int64Input(attentionMask), Int64Input(tokenTypeIds)], [.. outputs]);
        }

        /// <summary>The CRF's transition, start and end scores as constant outputs (the decoding itself stays outside the graph).</summary>
        IEnumerable<OnnxValueInfo> CrfScores(LinearChainCrf crf)
        {
            string tags = Count(crf.Tags);
            foreach (var (parameter, name, shape) in new[]
                     {
                         (crf.Transitions, "transitions", new[] { tags, tags }), (crf.StartTransitions, "start_transitions", [tags]),
                         (crf.EndTransitions, "end_transitions", [tags]),
                     })
            {
                _g.Node("Identity", $"crf_{name}", [Parameter(parameter, $"crf.{name}")]);
                yield return new OnnxValueInfo($"crf_{name}", OnnxDataType.Float, shape);
            }
        }

        /// <summary>LayerNorm(word[ids] + position[0 … S−1] + type[types]); positions come from the input's own shape.</summary>
        string Embeddings(string inputIds, string tokenTypeIds)
        {
            var embeddings = model.Encoder.Embeddings;
            const string prefix = "bert.embeddings";
            string words = _g.Node("Gather", $"{prefix}.words", [Parameter(embeddings.WordEmbeddings.Weight, $"{prefix}.word_embeddings.weight"), inputIds]);

            string shape = _g.Node("Shape", $"{prefix}.input_shape", [inputIds]);
            string length = _g.Node("Gather", $"{prefix}.sequence_length", [shape, _g.Scalar($"{prefix}.sequence_axis", 1L)]);
            string positionIds = _g.Node("Range", $"{prefix}.position_ids", [_g.Scalar($"{prefix}.first_position", 0L), length, _g.Scalar($"{prefix}.position_step", 1L)]);
            string positions = _g.Node("Gather", $"{prefix}.positions", [Parameter(embeddings.PositionEmbeddings.Weight, $"{prefix}.position_embeddings.weight"), positionIds]);

            string types = _g.Node("Gather", $"{prefix}.types", [Parameter(embeddings.TokenTypeEmbeddings.Weight, $"{prefix}.token_type_embeddings.weight"), tokenTypeIds]);
            string sum = _g.Node("Add", $"{prefix}.sum", [_g.Node("Add", $"{prefix}.words_plus_positions", [words, positions]), types]);
            return LayerNorm(sum, embeddings.LayerNorm, $"{prefix}.LayerNorm");
        }

        /// <summary>
        /// [B, S] 1/0 → [B, 1, 1, S]: mask·(−min) + min, as <see cref="AttentionMask.ToAdditive"/> computes it
        /// (0 for a token, float32's most negative value for padding), shaped to broadcast over heads and queries.
        /// </summary>
        string AdditiveMask(string mask)
        {
            string scaled = _g.Node("Mul", "attention_mask.scaled", [mask, _g.Scalar("attention_mask.minus_min", -float.MinValue)]);
            string additive = _g.Node("Add", "attention_mask.additive", [scaled, _g.Scalar("attention_mask.min", float.MinValue)]);
            return _g.Node("Unsqueeze", "attention_mask.broadcast", [additive, _g.Int64s("attention_mask.axes", 1, 2)]);
        }

        /// <summary>One post-LN layer: h = LN(x + attention(x)); out = LN(h + W₂·GELU(W₁·h)).</summary>
        string Layer(string x, string additiveMask, BertLayer layer, string prefix)
        {
            string context = SelfAttention(x, additiveMask, layer.Attention.Self, $"{prefix}.attention.self");
            var attentionOutput = layer.Attention.Output;
            string h = ResidualOutput(context, x, attentionOutput, $"{prefix}.attention.output");
            string intermediate = Activation(Linear(h, layer.Intermediate.Dense, $"{prefix}.intermediate.dense"), $"{prefix}.intermediate");
            return ResidualOutput(intermediate, h, layer.Output, $"{prefix}.output");
        }

        /// <summary>softmax(Q·Kᵀ·(1/√d) + mask)·V per head, heads split from and merged back into [B, S, hidden].</summary>
        string SelfAttention(string x, string additiveMask, BertSelfAttention attention, string prefix)
        {
            int heads = _config.NumAttentionHeads, headSize = _config.HeadSize;
            string headShape = _g.Int64s($"{prefix}.head_shape", 0, 0, heads, headSize);   // 0 keeps that input dimension
            string SplitHeads(Linear projection, string name, long[] permutation)
            {
                string projected = Linear(x, projection, $"{prefix}.{name}");
                string split = _g.Node("Reshape", $"{prefix}.{name}.split", [projected, headShape]);        // [B, S, heads, d]
                return _g.Node("Transpose", $"{prefix}.{name}.heads", [split], NodeAttribute.Ints("perm", permutation));
            }
            string q = SplitHeads(attention.Query, "query", [0, 2, 1, 3]);   // [B, heads, S, d]
            string kT = SplitHeads(attention.Key, "key", [0, 2, 3, 1]);      // [B, heads, d, S]
            string v = SplitHeads(attention.Value, "value", [0, 2, 1, 3]);   // [B, heads, S, d]

            string scores = _g.Node("MatMul", $"{prefix}.scores", [q, kT]);  // [B, heads, S, S]: query rows, key columns
            string scaled = _g.Node("Mul", $"{prefix}.scaled_scores", [scores, _g.Scalar($"{prefix}.scale", (float)(1.0 / Math.Sqrt(headSize)))]);
            string masked = _g.Node("Add", $"{prefix}.masked_scores", [scaled, additiveMask]);
            string probabilities = _g.Node("Softmax", $"{prefix}.probabilities", [masked], NodeAttribute.Int("axis", -1));
            string context = _g.Node("MatMul", $"{prefix}.context", [probabilities, v]);   // [B, heads, S, d]
            string merged = _g.Node("Transpose", $"{prefix}.context.tokens", [context], NodeAttribute.Ints("perm", 0, 2, 1, 3));
            return _g.Node("Reshape", $"{prefix}.context.merged", [merged, _g.Int64s($"{prefix}.hidden_shape", 0, 0, _config.HiddenSize)]);
        }

        string ResidualOutput(string x, string residual, BertResidualOutput output, string prefix)
        {
            string projected = Linear(x, output.Dense, $"{prefix}.dense");
            return LayerNorm(_g.Node("Add", $"{prefix}.residual", [projected, residual]), output.LayerNorm, $"{prefix}.LayerNorm");
        }

        /// <summary>
        /// "gelu": x·½(1 + erf(x/√2)); "gelu_new" / "gelu_pytorch_tanh": ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
        /// </summary>
        string Activation(string x, string prefix)
        {
            string half = _g.Scalar($"{prefix}.half", 0.5f), one = _g.Scalar($"{prefix}.one", 1f);
            if (_config.HiddenAct == "gelu")
            {
                string erf = _g.Node("Erf", $"{prefix}.erf", [_g.Node("Div", $"{prefix}.scaled", [x, _g.Scalar($"{prefix}.sqrt2", MathF.Sqrt(2f))])]);
                string cdf = _g.Node("Mul", $"{prefix}.cdf", [_g.Node("Add", $"{prefix}.one_plus_erf", [erf, one]), half]);
                return _g.Node("Mul", $"{prefix}.gelu", [x, cdf]);
            }
            string cube = _g.Node("Mul", $"{prefix}.cube", [_g.Node("Mul", $"{prefix}.square", [x, x]), x]);
            string inner = _g.Node("Add", $"{prefix}.inner", [x, _g.Node("Mul", $"{prefix}.cubic_term", [cube, _g.Scalar($"{prefix}.cubic", 0.044715f)])]);
            string tanh = _g.Node("Tanh", $"{prefix}.tanh", [_g.Node("Mul", $"{prefix}.tanh_argument", [inner, _g.Scalar($"{prefix}.sqrt_2_over_pi", MathF.Sqrt(2f / MathF.PI))])]);
            string halfX = _g.Node("Mul", $"{prefix}.half_x", [x, half]);
            return _g.Node("Mul", $"{prefix}.gelu", [halfX, _g.Node("Add", $"{prefix}.one_plus_tanh", [tanh, one])]);
        }

        /// <summary>
        /// Σₛ h[b, s]·m[b, s] / max(Σₛ m[b, s], 1e-9): the mean over the tokens, padding excluded, as
        /// <see cref="Ops.MaskedMeanPool"/> computes it. [B, S, H] → [B, H].
        /// </summary>
        string MaskedMean(string hidden, string mask)
        {
            string sequenceAxis = _g.Int64s("pool.sequence_axis", 1);
            string weights = _g.Node("Unsqueeze", "pool.weights", [mask, _g.Int64s("pool.feature_axis", 2)]);   // [B, S, 1]
            string sum = _g.Node("ReduceSum", "pool.sum", [_g.Node("Mul", "pool.masked", [hidden, weights]), sequenceAxis], NodeAttribute.Int("keepdims", 0));
            string count = _g.Node("ReduceSum", "pool.count", [mask, sequenceAxis], NodeAttribute.Int("keepdims", 1));   // [B, 1]
            string divisor = _g.Node("Max", "pool.divisor", [count, _g.Scalar("pool.min_count", 1e-9f)]);
            return _g.Node("Div", "pool.mean", [sum, divisor]);
        }

        /// <summary>x·Wᵀ + b: W is stored transposed ([in, out]) so that MatMul takes it as it is.</summary>
        string Linear(string x, Linear linear, string prefix)
        {
            var weight = linear.Weight;
            int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
            float[] rows = weight.ToFloatArray(), transposed = new float[rows.Length];
            for (int o = 0; o < outFeatures; o++)
                for (int i = 0; i < inFeatures; i++)
                    transposed[i * outFeatures + o] = rows[o * inFeatures + i];
            string product = _g.Node("MatMul", $"{prefix}.matmul", [x, _g.Weight($"{prefix}.weight", [inFeatures, outFeatures], transposed)]);
            var bias = linear.Bias ?? throw new NotSupportedException($"ONNX export: Linear '{prefix}' has no bias; every BERT Linear has one");
            return _g.Node("Add", $"{prefix}.output", [product, Parameter(bias, $"{prefix}.bias")]);
        }

        string LayerNorm(string x, LayerNorm norm, string prefix) =>
            _g.Node("LayerNormalization", $"{prefix}.output", [x, Parameter(norm.Weight, $"{prefix}.weight"), Parameter(norm.Bias, $"{prefix}.bias")],
                NodeAttribute.Int("axis", -1), NodeAttribute.Float("epsilon", (float)norm.Eps));

        string Parameter(Tensor parameter, string name) =>
            _g.Weight(name, parameter.Shape.ToArray().Select(d => (long)d).ToArray(), parameter.ToFloatArray());

        static string Count(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
