using CudaBert.Engine.IO;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Import;

namespace CudaBert.Model.Export;

/// <summary>
/// Writes a <see cref="MultiTaskBert"/> as two folders that <c>transformers</c> loads as they are:
/// <list type="bullet">
/// <item><c>token-classification/</c>: a <c>BertForTokenClassification</c> — the encoder under <c>bert.…</c>
/// and the token head as <c>classifier.weight/bias</c>, <c>id2label</c>/<c>label2id</c> in config.json.</item>
/// <item><c>encoder/</c>: a <c>BertModel</c> for <c>AutoModel</c> — the encoder under its bare names
/// (<c>embeddings.…</c>, <c>encoder.…</c>), no pooler (our model has none), plus the sentence head as
/// <see cref="SentenceHeadFiles"/>.</item>
/// </list>
/// A CRF token head has no <c>transformers</c> class: <c>token-classification/</c> then gives its emissions
/// (the token logits), and its scores go beside them in <c>crf.safetensors</c> (<c>crf.transitions</c>
/// [T, T] from→to, <c>crf.start_transitions</c>, <c>crf.end_transitions</c> [T]); the Viterbi decoding over
/// each word's first sub-token is the consumer's (as <see cref="CudaBert.Engine.Nn.CrfViterbi"/>).
/// Each folder has the four tokenizer files (<see cref="HuggingFaceTokenizerFiles"/>). Weights are float32
/// safetensors with metadata {"format": "pt"}. Beside the folders, <see cref="ReferenceLogitsFile"/> holds our
/// logits for a few texts, to check a load in <c>transformers</c> against.
/// </summary>
public static class HuggingFaceExport
{
    /// <summary>The folder of the <c>BertForTokenClassification</c>.</summary>
    public const string TokenClassificationFolder = "token-classification";

    /// <summary>The folder of the <c>BertModel</c> and the sentence head.</summary>
    public const string EncoderFolder = "encoder";

    /// <summary>The CRF's scores beside a token-classification folder, for a model with a CRF token head.</summary>
    public const string CrfFile = "crf.safetensors";

    /// <summary>Config keys a checkpoint adds for its two heads; neither exported folder has those heads in that form.</summary>
    static readonly string[] CheckpointLabelKeys = ["num_sentence_labels", "num_token_labels", "token_head", "sentence_id2label", "token_id2label", "id2label", "label2id", "num_labels"];

    /// <summary>
    /// Writes both folders under <paramref name="folder"/>; the tokenizer files come from
    /// <paramref name="tokenizerFolder"/> (a checkpoint has them).
    /// </summary>
    /// <exception cref="IOException"><paramref name="folder"/> is not empty and <paramref name="overwrite"/> is false, or it is a file.</exception>
    public static void Write(string folder, MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels, string tokenizerFolder, bool overwrite)
    {
        if (sentenceLabels.Count != model.NumSentenceLabels || tokenLabels.Count != model.NumTokenLabels)
            throw new ArgumentException(
                $"Hugging Face export: {sentenceLabels.Count} sentence and {tokenLabels.Count} token labels for heads of " +
                $"{model.NumSentenceLabels} and {model.NumTokenLabels} outputs");
        HuggingFaceModelFolder.Prepare(folder, overwrite);
        var encoder = model.Encoder.NamedParameters().ToList();

        string tokens = Path.Combine(folder, TokenClassificationFolder);
        HuggingFaceModelFolder.Prepare(tokens, overwrite);
        var tokenConfig = ConfigWithoutHeads(model.Config, "BertForTokenClassification");
        tokenConfig.OtherKeys["id2label"] = HuggingFaceLabelMaps.IdToLabel(tokenLabels);
        tokenConfig.OtherKeys["label2id"] = HuggingFaceLabelMaps.LabelToId(tokenLabels);
        tokenConfig.Save(Path.Combine(tokens, HuggingFaceModelFolder.ConfigFile));
        var tokenWeights = encoder.Select(p => (BertWeights.EncoderPrefix + p.Name, p.Parameter))
            .Append(("classifier.weight", model.TokenClassifier.Weight))
            .Append(("classifier.bias", model.TokenClassifier.Bias!));
        SaveWeights(Path.Combine(tokens, HuggingFaceModelFolder.WeightsFile), tokenWeights);
        if (model.Crf is { } crf) SaveWeights(Path.Combine(tokens, CrfFile), crf.NamedParameters("crf."));
        HuggingFaceTokenizerFiles.Write(tokens, tokenizerFolder, model.Config.MaxPositionEmbeddings);

        string bare = Path.Combine(folder, EncoderFolder);
        HuggingFaceModelFolder.Prepare(bare, overwrite);
        ConfigWithoutHeads(model.Config, "BertModel").Save(Path.Combine(bare, HuggingFaceModelFolder.ConfigFile));
        SaveWeights(Path.Combine(bare, HuggingFaceModelFolder.WeightsFile), encoder);
        SentenceHeadFiles.Write(bare, model.Classifier, sentenceLabels);
        HuggingFaceTokenizerFiles.Write(bare, tokenizerFolder, model.Config.MaxPositionEmbeddings);

        ReferenceLogitsFile.Write(Path.Combine(folder, ReferenceLogitsFile.FileName), model, HuggingFaceModelFolder.LoadTokenizer(tokenizerFolder));
    }

    /// <summary>The encoder's config under a <c>transformers</c> class name, without the checkpoint's label keys.</summary>
    static BertConfig ConfigWithoutHeads(BertConfig config, string architecture)
    {
        var copy = BertConfig.Parse(config.ToJson(), "model config");
        foreach (string key in CheckpointLabelKeys) copy.OtherKeys.Remove(key);
        copy.Architectures = [architecture];
        return copy;
    }

    static void SaveWeights(string path, IEnumerable<(string Name, Engine.Tensor Parameter)> parameters)
    {
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var (name, parameter) in parameters)
            writer.Add(name, parameter.Shape.ToArray().Select(d => (long)d).ToArray(), parameter.ToFloatArray());
        writer.Save(path);
    }
}
