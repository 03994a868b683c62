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
/// <item>Task B, token classification: dropout → <c>token_classifier</c> (Linear hidden → token labels) on every token;
/// with a CRF token head (<see cref="TokenHead.Crf"/>) a linear-chain CRF then scores each sentence's word tags as one sequence.</item>
/// </list>
/// Parameter names: <c>bert.…</c> (the encoder, without pooler, as Hugging Face's <c>BertFor…</c>
/// models), <c>classifier.weight/bias</c>, <c>token_classifier.weight/bias</c>, and with a CRF
/// <c>crf.transitions</c>, <c>crf.start_transitions</c>, <c>crf.end_transitions</c>.
/// </summary>
public sealed class MultiTaskBert : Module
{
    /// <summary>Label targets equal to this are ignored by both losses (PyTorch's default ignore_index): the collator's <see cref="TokenClassification.IgnoreIndex"/>.</summary>
    public const int IgnoreIndex = TokenClassification.IgnoreIndex;

    private const string SentenceLabelsKey = "num_sentence_labels";
    private const string TokenLabelsKey = "num_token_labels";
    private const string TokenHeadKey = "token_head";

    /// <summary>
    /// A randomly initialised model; <paramref name="seed"/> fixes the initial weights and the dropout
    /// masks. A CRF token head (<paramref name="tokenHead"/>) starts with every transition score 0.
    /// </summary>
    public MultiTaskBert(BertConfig config, int numSentenceLabels, int numTokenLabels, ulong seed, DType dtype = DType.Float32, TokenHead tokenHead = TokenHead.Linear)
    {
        if (numSentenceLabels < 1) throw new ArgumentOutOfRangeException(nameof(numSentenceLabels), numSentenceLabels, "needs at least one sentence label");
        if (numTokenLabels < 1) throw new ArgumentOutOfRangeException(nameof(numTokenLabels), numTokenLabels, "needs at least one token label");
        var generator = new Generator(seed);
        var dropoutSeeds = DropoutSeeds.ForModel(seed);
        Encoder = RegisterModule("bert", new BertModel(config, withPooler: false, generator, dropoutSeeds, dtype));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, dropoutSeeds.Next()));
        Classifier = RegisterModule("classifier", new Linear(config.HiddenSize, numSentenceLabels, generator, dtype: dtype, init: BertInit.Instance));
        TokenClassifier = RegisterModule("token_classifier", new Linear(config.HiddenSize, numTokenLabels, generator, dtype: dtype, init: BertInit.Instance));
        if (tokenHead == TokenHead.Crf) Crf = RegisterModule("crf", new LinearChainCrf(numTokenLabels, dtype));
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
    /// <summary>
    /// Gradient checkpointing of the encoder's layers (<see cref="BertEncoder.GradientCheckpointing"/>): far less
    /// memory for a training step, one more forward of the encoder layers in its backward pass. Off by default.
    /// </summary>
    public bool GradientCheckpointing
    {
        get => Encoder.Encoder.GradientCheckpointing;
        set => Encoder.Encoder.GradientCheckpointing = value;
    }

    /// <summary>The dropout both heads apply to their input (rate <see cref="BertConfig.HiddenDropoutProb"/>); parameter-free.</summary>
    public Dropout Dropout { get; }

    /// <summary>Task A head.</summary>
    public Linear Classifier { get; }

    /// <summary>Task B head (with a CRF: its emission scores).</summary>
    public Linear TokenClassifier { get; }

    /// <summary>The CRF over word tags of a <see cref="TokenHead.Crf"/> model; null for a linear token head.</summary>
    public LinearChainCrf? Crf { get; }

    /// <summary>Which token head this model has.</summary>
    public TokenHead TokenHead => Crf is null ? TokenHead.Linear : TokenHead.Crf;

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
    /// wA·CE(sentence logits, <paramref name="sentenceLabels"/> [B]) + wB·(token loss), each a mean over
    /// its non-ignored labels (−100 is ignored: padding, special tokens, sub-word continuations, or
    /// samples without that task's label). The token loss of a linear head is CE(token logits,
    /// <paramref name="tokenLabels"/> [B, S]); that of a CRF head is the CRF's negative log-likelihood of
    /// <paramref name="wordTags"/> (required with token labels), a mean over the sentences with tags.
    /// A task whose labels are null contributes nothing (no term, no node, no gradient); at least one
    /// must be given. A label tensor that is all −100 gives NaN, as PyTorch's cross-entropy does: pass
    /// null instead (the trainer's collator does, deciding on the host, so no labels are read back here).
    /// With <paramref name="sentenceClassWeights"/> [sentence labels] the sentence term is the weighted mean
    /// Σ w[y]·ℓ / Σ w[y] (see <see cref="Training.ClassWeights"/>); token tags are never weighted.
    /// </summary>
    public MultiTaskLoss Loss(MultiTaskOutput outputs, Tensor? sentenceLabels, Tensor? tokenLabels, double sentenceWeight = 1.0, double tokenWeight = 1.0,
        Tensor? sentenceClassWeights = null, WordTagTargets? wordTags = null)
    {
        var sentence = sentenceLabels is not null ? Ops.CrossEntropy(outputs.SentenceLogits, sentenceLabels, sentenceClassWeights, IgnoreIndex) : null;
        var tokens = tokenLabels is null ? null
            : Crf is null ? Ops.CrossEntropy(outputs.TokenLogits, tokenLabels, ignoreIndex: IgnoreIndex)
            : Crf.NegativeLogLikelihood(WordEmissions(outputs.TokenLogits, wordTags ?? throw new ArgumentException(
                "a CRF token head needs the batch's word tags (WordTagTargets) along with its token labels", nameof(wordTags))), wordTags.Tags);
        Tensor total = (sentence, tokens) switch
        {
            (not null, not null) => Ops.Scale(sentence, sentenceWeight) + Ops.Scale(tokens, tokenWeight),
            (not null, null) => Ops.Scale(sentence, sentenceWeight),
            (null, not null) => Ops.Scale(tokens, tokenWeight),
            _ => throw new ArgumentException("the batch carries no label for either task (both label tensors are null): there is no loss"),
        };
        return new MultiTaskLoss(total, sentence, tokens);
    }

    /// <summary>The CRF's emissions [N, W, T]: the token logits [B, S, T] of each word's first sub-token, gathered (the backward scatters back).</summary>
    static Tensor WordEmissions(Tensor tokenLogits, WordTagTargets words)
    {
        int rows = tokenLogits.Shape[0] * tokenLogits.Shape[1], tags = tokenLogits.Shape[2];
        return Ops.Embedding(words.FirstTokens, Ops.Reshape(tokenLogits, rows, tags));
    }

    /// <summary>
    /// The encoder from a Hugging Face folder (<c>config.json</c> + <c>model.safetensors</c>, encoder
    /// names with or without <c>bert.</c>), fresh heads. Every encoder weight must be in the checkpoint;
    /// heads found in the checkpoint (same names and shapes) are loaded too, the others start fresh.
    /// </summary>
    public static MultiTaskBert FromPretrained(string folder, int numSentenceLabels, int numTokenLabels, ulong seed, out WeightLoadReport report, DType dtype = DType.Float32,
        TokenHead tokenHead = TokenHead.Linear)
    {
        string configPath = BertWeights.ConfigPath(folder);
        var config = BertConfig.Load(configPath);
        BertWeights.CheckFitsConfig(BertWeights.WeightsPath(folder), config, configPath);
        var model = new MultiTaskBert(config, numSentenceLabels, numTokenLabels, seed, dtype, tokenHead);
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
    public static MultiTaskBert FromPretrained(string folder, int numSentenceLabels, int numTokenLabels, ulong seed, DType dtype = DType.Float32,
        TokenHead tokenHead = TokenHead.Linear) =>
        FromPretrained(folder, numSentenceLabels, numTokenLabels, seed, out _, dtype, tokenHead);

    /// <summary>
    /// Writes <c>config.json</c> (with <c>num_sentence_labels</c>, <c>num_token_labels</c> and, for a CRF head,
    /// <c>token_head: "crf"</c>) and
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
        if (Crf is not null) config.OtherKeys[TokenHeadKey] = TokenHeadNames.Crf;
        else config.OtherKeys.Remove(TokenHeadKey);
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
        var model = new MultiTaskBert(config, sentenceLabels, tokenLabels, seed: 0, dtype, HeadOf(config, configPath));
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

    /// <summary>The <c>token_head</c> of a checkpoint's config (absent: linear, as every checkpoint written before CRF heads existed).</summary>
    private static TokenHead HeadOf(BertConfig config, string path)
    {
        if (!config.OtherKeys.TryGetValue(TokenHeadKey, out var node)) return TokenHead.Linear;
        try
        {
            return node is JsonValue value && value.TryGetValue(out string? name) ? TokenHeadNames.Parse(name) : throw new FormatException("not a string");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"config '{path}', key '{TokenHeadKey}': {e.Message} (use {string.Join(" or ", TokenHeadNames.Names.Select(n => $"\"{n}\""))})");
        }
    }

    private static int LabelCount(BertConfig config, string key, string path) =>
        config.OtherKeys.TryGetValue(key, out var node) && node is JsonValue value && value.TryGetValue(out int count) && count > 0
            ? count
            : throw new InvalidDataException($"config '{path}', key '{key}': a MultiTaskBert checkpoint needs a positive integer here");
}
