using System.Text.Json.Nodes;
using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Bert;

/// <summary>
/// A shared BERT encoder with two heads trained jointly.
/// <list type="bullet">
/// <item>Task A, sentence classification: masked mean of the last hidden states (padding excluded)
/// → dropout → <c>classifier</c> (Linear hidden → sentence labels).</item>
/// <item>Task B, token classification: dropout → <c>token_classifier</c> (Linear hidden → token labels) on every token.</item>
/// </list>
/// Parameter names: <c>bert.…</c> (the encoder, without pooler, as Hugging Face's <c>BertFor…</c>
/// models), <c>classifier.weight/bias</c>, <c>token_classifier.weight/bias</c>.
/// </summary>
public sealed class MultiTaskBert : Module
{
    /// <summary>Label targets equal to this are ignored by both losses (PyTorch's default ignore_index): the collator's <see cref="TokenClassification.IgnoreIndex"/>.</summary>
    public const int IgnoreIndex = TokenClassification.IgnoreIndex;

    private const string SentenceLabelsKey = "num_sentence_labels";
    private const string TokenLabelsKey = "num_token_labels";

    /// <summary>A randomly initialised model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public MultiTaskBert(BertConfig config, int numSentenceLabels, int numTokenLabels, ulong seed, DType dtype = DType.Float32)
    {
        if (numSentenceLabels < 1) throw new ArgumentOutOfRangeException(nameof(numSentenceLabels), numSentenceLabels, "needs at least one sentence label");
        if (numTokenLabels < 1) throw new ArgumentOutOfRangeException(nameof(numTokenLabels), numTokenLabels, "needs at least one token label");
        var generator = new Generator(seed);
        var dropoutSeeds = DropoutSeeds.ForModel(seed);
        Encoder = RegisterModule("bert", new BertModel(config, withPooler: false, generator, dropoutSeeds, dtype));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, dropoutSeeds.Next()));
        Classifier = RegisterModule("classifier", new Linear(config.HiddenSize, numSentenceLabels, generator, dtype: dtype, init: BertInit.Instance));
        TokenClassifier = RegisterModule("token_classifier", new Linear(config.HiddenSize, numTokenLabels, generator, dtype: dtype, init: BertInit.Instance));
    }

    /// <summary>The encoder's architecture (sizes, vocabulary, dropout rates).</summary>
    public BertConfig Config => Encoder.Config;
    /// <summary>Element type of every parameter (float32 by default).</summary>
    public DType DType => Encoder.DType;
    /// <summary>Sentence labels the <see cref="Classifier"/> scores: the last dimension of <see cref="MultiTaskOutput.SentenceLogits"/>.</summary>
    public int NumSentenceLabels => Classifier.OutFeatures;
    /// <summary>Token labels the <see cref="TokenClassifier"/> scores: the last dimension of <see cref="MultiTaskOutput.TokenLogits"/>.</summary>
    public int NumTokenLabels => TokenClassifier.OutFeatures;

    /// <summary>The shared encoder (freeze it with <see cref="Module.Freeze"/>).</summary>
    public BertModel Encoder { get; }
    /// <summary>The dropout both heads apply to their input (rate <see cref="BertConfig.HiddenDropoutProb"/>); parameter-free.</summary>
    public Dropout Dropout { get; }

    /// <summary>Task A head.</summary>
    public Linear Classifier { get; }

    /// <summary>Task B head.</summary>
    public Linear TokenClassifier { get; }

    /// <summary>
    /// Both tasks' logits for a batch: <paramref name="inputIds"/> [B, S]; <paramref name="attentionMask"/>
    /// [B, S] 1/0 (null: no padding); <paramref name="tokenTypeIds"/> [B, S] or null.
    /// </summary>
    public MultiTaskOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        var hidden = Encoder.Forward(inputIds, attentionMask, tokenTypeIds).LastHiddenState;
        var mask = attentionMask ?? AttentionMask.AllTokens(inputIds.Shape[0], inputIds.Shape[1], DType, inputIds.Device);
        var sentence = Classifier.Forward(Dropout.Forward(Ops.MaskedMeanPool(hidden, mask)));
        var tokens = TokenClassifier.Forward(Dropout.Forward(hidden));
        return new MultiTaskOutput(sentence, tokens, hidden);
    }

    /// <summary>
    /// wA·CE(sentence logits, <paramref name="sentenceLabels"/> [B]) + wB·CE(token logits,
    /// <paramref name="tokenLabels"/> [B, S]), each a mean over its non-ignored labels (−100 is ignored:
    /// padding, special tokens, sub-word continuations, or samples without that task's label).
    /// A task whose labels are null contributes nothing (no term, no node, no gradient); at least one
    /// must be given. A label tensor that is all −100 gives NaN, as PyTorch's cross-entropy does: pass
    /// null instead (the trainer's collator does, deciding on the host, so no labels are read back here).
    /// With <paramref name="sentenceClassWeights"/> [sentence labels] the sentence term is the weighted mean
    /// Σ w[y]·ℓ / Σ w[y] (see <see cref="Training.ClassWeights"/>); token tags are never weighted.
    /// </summary>
    public MultiTaskLoss Loss(MultiTaskOutput outputs, Tensor? sentenceLabels, Tensor? tokenLabels, double sentenceWeight = 1.0, double tokenWeight = 1.0,
        Tensor? sentenceClassWeights = null)
    {
        var sentence = sentenceLabels is not null ? Ops.CrossEntropy(outputs.SentenceLogits, sentenceLabels, sentenceClassWeights, IgnoreIndex) : null;
        var tokens = tokenLabels is not null ? Ops.CrossEntropy(outputs.TokenLogits, tokenLabels, ignoreIndex: IgnoreIndex) : null;
        Tensor total = (sentence, tokens) switch
        {
            (not null, not null) => Ops.Scale(sentence, sentenceWeight) + Ops.Scale(tokens, tokenWeight),
            (not null, null) => Ops.Scale(sentence, sentenceWeight),
            (null, not null) => Ops.Scale(tokens, tokenWeight),
            _ => throw new ArgumentException("the batch carries no label for either task (both label tensors are null): there is no loss"),
        };
        return new MultiTaskLoss(total, sentence, tokens);
    }

    /// <summary>
    /// The encoder from a Hugging Face folder (<c>config.json</c> + <c>model.safetensors</c>, encoder
    /// names with or without <c>bert.</c>), fresh heads. Every encoder weight must be in the checkpoint;
    /// heads found in the checkpoint (same names and shapes) are loaded too, the others start fresh.
    /// </summary>
    public static MultiTaskBert FromPretrained(string folder, int numSentenceLabels, int numTokenLabels, ulong seed, out WeightLoadReport report, DType dtype = DType.Float32)
    {
        string configPath = BertWeights.ConfigPath(folder);
        var config = BertConfig.Load(configPath);
        BertWeights.CheckFitsConfig(BertWeights.WeightsPath(folder), config, configPath);
        var model = new MultiTaskBert(config, numSentenceLabels, numTokenLabels, seed, dtype);
        try
        {
            report = BertWeights.Load(model, BertWeights.WeightsPath(folder));
            report.ThrowIfMissing(name => !name.StartsWith(BertWeights.EncoderPrefix, StringComparison.Ordinal));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>As the overload with a <see cref="WeightLoadReport"/>, for callers that do not need the report.</summary>
    public static MultiTaskBert FromPretrained(string folder, int numSentenceLabels, int numTokenLabels, ulong seed, DType dtype = DType.Float32) =>
        FromPretrained(folder, numSentenceLabels, numTokenLabels, seed, out _, dtype);

    /// <summary>
    /// Writes <c>config.json</c> (with <c>num_sentence_labels</c> and <c>num_token_labels</c>) and
    /// <c>model.safetensors</c>. Hugging Face's <c>BertModel.from_pretrained</c> reads the encoder part.
    /// Label maps and tokenizer files belong to whoever trained the model.
    /// </summary>
    public void SaveTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var config = BertConfig.Parse(Config.ToJson(), "model config");
        config.Architectures = [nameof(MultiTaskBert)];
        config.OtherKeys[SentenceLabelsKey] = NumSentenceLabels;
        config.OtherKeys[TokenLabelsKey] = NumTokenLabels;
        config.Save(Path.Combine(folder, BertWeights.ConfigFile));
        BertWeights.Save(this, Path.Combine(folder, BertWeights.WeightsFile));
    }

    /// <summary>Reads a folder written by <see cref="SaveTo"/>; every parameter must be in it.</summary>
    public static MultiTaskBert Load(string folder, DType dtype = DType.Float32)
    {
        string configPath = BertWeights.ConfigPath(folder);
        var config = BertConfig.Load(configPath);
        int sentenceLabels = LabelCount(config, SentenceLabelsKey, configPath), tokenLabels = LabelCount(config, TokenLabelsKey, configPath);
        BertWeights.CheckFitsConfig(BertWeights.WeightsPath(folder), config, configPath,
            ("classifier.weight", [sentenceLabels, config.HiddenSize]), ("token_classifier.weight", [tokenLabels, config.HiddenSize]));
        var model = new MultiTaskBert(config, sentenceLabels, tokenLabels, seed: 0, dtype);
        try
        {
            BertWeights.Load(model, BertWeights.WeightsPath(folder)).ThrowIfMissing();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int LabelCount(BertConfig config, string key, string path) =>
        config.OtherKeys.TryGetValue(key, out var node) && node is JsonValue value && value.TryGetValue(out int count) && count > 0
            ? count
            : throw new InvalidDataException($"config '{path}', key '{key}': a MultiTaskBert checkpoint needs a positive integer here");
}
