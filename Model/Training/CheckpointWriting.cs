using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Engine.IO;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Import;

namespace CudaBert.Model.Training;

/// <summary>
/// Writing a checkpoint (the layout is described on <see cref="Checkpoint"/>): the folder is written
/// under a temporary name, flushed to disk, loaded back and only then renamed into place, so a folder
/// with the checkpoint's name is always complete. <see cref="EnsureSavable"/> checks up front, before
/// any training, everything a save will need.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>Start of the name of a folder being written; a killed process may leave one (see <see cref="RunCheckpoints"/>).</summary>
    public const string TemporaryPrefix = ".tmp-";
    static readonly string[] TokenizerFiles = [HuggingFaceModelFolder.VocabularyFile, HuggingFaceModelFolder.TokenizerFile];
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes a checkpoint at <paramref name="folder"/>, which must not exist yet. The files go into a
    /// temporary sibling (<c>.tmp-NAME-…</c>), are flushed to disk and read back (model, labels,
    /// tokenizer, optimizer state, trainer state), and the folder is then renamed to
    /// <paramref name="folder"/> in one atomic step: it appears complete or not at all, whenever the
    /// process dies. A save that fails removes its temporary folder.
    /// </summary>
    /// <exception cref="IOException"><paramref name="folder"/> already exists, or writing failed.</exception>
    /// <exception cref="InvalidDataException">The written checkpoint does not load back as saved.</exception>
    public static void Save(string folder, MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels,
        string tokenizerFolder, AdamW? optimizer = null, TrainerState? state = null) =>
        Save(folder, model, sentenceLabels, tokenLabels, tokenizerFolder, optimizer, state, fileOperation: null);

    /// <param name="folder">The checkpoint folder to create.</param>
    /// <param name="model">The model whose config and parameters are written.</param>
    /// <param name="sentenceLabels">The sentence labels, in the sentence head's output order.</param>
    /// <param name="tokenLabels">The tags, in the token head's output order.</param>
    /// <param name="tokenizerFolder">The pretrained model folder whose tokenizer files are copied.</param>
    /// <param name="optimizer">The optimizer whose moments are saved for resuming, or null.</param>
    /// <param name="state">The trainer state saved for resuming, or null.</param>
    /// <param name="fileOperation">
    /// Test seam: called with a description before and after every file-system operation of the save
    /// (fault-injection tests throw from it, or copy the folder as a killed process would leave it).
    /// </param>
    internal static void Save(string folder, MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels,
        string tokenizerFolder, AdamW? optimizer, TrainerState? state, Action<string>? fileOperation)
    {
        string full = Path.GetFullPath(folder);
        if (Directory.Exists(full) || File.Exists(full))
            throw new IOException($"{full} already exists: a checkpoint is never written over another");
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $"{TemporaryPrefix}{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        string In(string file) => Path.Combine(temporary, file);
        void Do(string what, Action operation)
        {
            fileOperation?.Invoke($"before {what}");
            operation();
            fileOperation?.Invoke($"after {what}");
        }
        try
        {
            Do("create the temporary folder", () => Directory.CreateDirectory(temporary));
            Do($"write {BertWeights.ConfigFile} and {BertWeights.WeightsFile}", () => model.SaveTo(temporary));
            Do($"add the label maps to {BertWeights.ConfigFile}", () =>
                File.WriteAllText(In(BertWeights.ConfigFile), WithLabelMaps(File.ReadAllText(In(BertWeights.ConfigFile)), sentenceLabels, tokenLabels)));
            Do($"write {SentenceLabelsFile}", () => sentenceLabels.WriteFile(In(SentenceLabelsFile)));
            Do($"write {TokenLabelsFile}", () => tokenLabels.WriteFile(In(TokenLabelsFile)));
            foreach (string file in TokenizerFiles.Where(f => File.Exists(Path.Combine(tokenizerFolder, f))))
                Do($"copy {file}", () => File.Copy(Path.Combine(tokenizerFolder, file), In(file)));
            if (optimizer is not null) Do($"write {OptimizerFile}", () => SaveOptimizer(In(OptimizerFile), model, optimizer));
            if (state is not null) Do($"write {StateFile}", () => File.WriteAllText(In(StateFile), JsonSerializer.Serialize(state, Json)));
            foreach (string file in Directory.GetFiles(temporary).Order(StringComparer.Ordinal))
                Do($"flush {Path.GetFileName(file)} to disk", () => FlushToDisk(file));
            Do("load the written checkpoint back", () => Verify(temporary, model, sentenceLabels, tokenLabels));
            Do($"rename the temporary folder to {Path.GetFileName(full)}", () => Directory.Move(temporary, full));
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Loads a written checkpoint as predict and resume will: the model with every parameter, the label
    /// files (equal to the labels saved), the tokenizer, and when present the optimizer tensors and the
    /// trainer state.
    /// </summary>
    static void Verify(string folder, MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels)
    {
        using (var loaded = MultiTaskBert.Load(folder))
            if (loaded.NumSentenceLabels != model.NumSentenceLabels || loaded.NumTokenLabels != model.NumTokenLabels)
                throw new InvalidDataException($"{folder}: the written model has {loaded.NumSentenceLabels}/{loaded.NumTokenLabels} labels, not {model.NumSentenceLabels}/{model.NumTokenLabels}");
        var (sentence, tokens) = LoadLabels(folder);
        RequireSameLabels(Path.Combine(folder, SentenceLabelsFile), sentence, sentenceLabels);
        RequireSameLabels(Path.Combine(folder, TokenLabelsFile), tokens, tokenLabels);
        HuggingFaceModelFolder.LoadTokenizer(folder);
        string optimizerPath = Path.Combine(folder, OptimizerFile);
        if (File.Exists(optimizerPath))
        {
            using var file = SafetensorsFile.Open(optimizerPath);
            var names = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (string key in file.Metadata.Keys.Where(k => k.StartsWith("step.", StringComparison.Ordinal)))
                foreach (string moment in new[] { "exp_avg.", "exp_avg_sq." })
                    if (!names.Contains(moment + key["step.".Length..]))
                        throw new InvalidDataException($"{optimizerPath}: tensor '{moment}{key["step.".Length..]}' is missing");
        }
        if (File.Exists(Path.Combine(folder, StateFile))) LoadState(folder);
    }

    static void RequireSameLabels(string path, LabelSet read, LabelSet written)
    {
        if (!read.Labels.SequenceEqual(written.Labels, StringComparer.Ordinal))
            throw new InvalidDataException($"{path}: the labels read back ({read.Count}) differ from the {written.Count} written");
    }

    /// <summary>
    /// Checks, before any training, that a checkpoint of this run can be written and read back: every
    /// label survives its label file (one label per line, trimmed when read: not empty, no line break,
    /// no white space at either end, valid UTF-16), the config — with the keys kept verbatim from the
    /// pretrained model — can be written as JSON, the options can be written in the trainer state,
    /// and <paramref name="tokenizerFolder"/> holds a tokenizer to copy.
    /// </summary>
    /// <exception cref="ArgumentException">A label or an option cannot be saved; the message names it.</exception>
    /// <exception cref="InvalidDataException">A config key cannot be written back; the message names it.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer folder has neither vocab.txt nor tokenizer.json.</exception>
    public static void EnsureSavable(MultiTaskBert model, LabelSet sentenceLabels, LabelSet tokenLabels, string tokenizerFolder, TrainingOptions options)
    {
        RequireSavableLabels("sentence", sentenceLabels);
        RequireSavableLabels("token", tokenLabels);
        foreach (var (key, value) in model.Config.OtherKeys)
        {
            if (!IsValidUtf16(key))
                throw new InvalidDataException($"config key '{key}': the name holds a lone surrogate and cannot be written to a checkpoint's {BertWeights.ConfigFile}");
            try
            {
                value?.ToJsonString();
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                throw new InvalidDataException($"config key '{key}': its value cannot be written to a checkpoint's {BertWeights.ConfigFile} ({e.Message})", e);
            }
        }
        BertConfig.Parse(WithLabelMaps(model.Config.ToJson(), sentenceLabels, tokenLabels), $"the checkpoint's {BertWeights.ConfigFile}");
        foreach (var option in typeof(TrainingOptions).GetProperties())
        {
            try
            {
                JsonSerializer.Serialize(option.GetValue(options), option.PropertyType, Json);
            }
            catch (ArgumentException e)
            {
                string name = JsonNamingPolicy.KebabCaseLower.ConvertName(option.Name);
                throw new ArgumentException($"option {name}: cannot be saved in a checkpoint's {StateFile} ({e.Message})", e);
            }
        }
        if (!TokenizerFiles.Any(f => File.Exists(Path.Combine(tokenizerFolder, f))))
            throw new FileNotFoundException(
                $"{tokenizerFolder} has neither {HuggingFaceModelFolder.TokenizerFile} nor {HuggingFaceModelFolder.VocabularyFile}: a checkpoint would have no tokenizer",
                Path.Combine(tokenizerFolder, HuggingFaceModelFolder.VocabularyFile));
    }

    static void RequireSavableLabels(string task, LabelSet labels)
    {
        for (int id = 0; id < labels.Count; id++)
        {
            string label = labels[id];
            string? problem = label.Length == 0 ? "is empty"
                : label.AsSpan().IndexOfAny('\n', '\r') >= 0 ? "contains a line break"
                : label.Trim() != label ? "starts or ends with white space"
                : !IsValidUtf16(label) ? "holds a lone surrogate (not encodable as UTF-8)"
                : null;
            if (problem is not null)
                throw new ArgumentException(
                    $"{task} label {id} ({Show(label)}) {problem}: labels are saved one per line, so it would not load back");
        }
    }

    /// <summary>A label in quotes with line breaks, other control characters and surrogates escaped.</summary>
    static string Show(string text)
    {
        var shown = new StringBuilder("\"");
        foreach (char c in text)
            shown.Append(c == '\n' ? "\\n" : c == '\r' ? "\\r" : char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        return shown.Append('"').ToString();
    }

    static bool IsValidUtf16(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The config JSON with both label maps (<c>sentence_id2label</c>, <c>token_id2label</c>) added.</summary>
    static string WithLabelMaps(string configJson, LabelSet sentenceLabels, LabelSet tokenLabels)
    {
        var config = JsonNode.Parse(configJson)!.AsObject();
        config["sentence_id2label"] = IdToLabel(sentenceLabels);
        config["token_id2label"] = IdToLabel(tokenLabels);
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    static JsonObject IdToLabel(LabelSet labels)
    {
        var map = new JsonObject();
        for (int i = 0; i < labels.Count; i++) map[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
        return map;
    }

    static void SaveOptimizer(string path, Module model, AdamW optimizer)
    {
        var tensors = new List<(string, Engine.Tensor)>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!optimizer.TryGetState(parameter, out var expAvg, out var expAvgSq, out long step)) continue;
            tensors.Add(($"exp_avg.{name}", expAvg));
            tensors.Add(($"exp_avg_sq.{name}", expAvgSq));
            metadata[$"step.{name}"] = step.ToString(CultureInfo.InvariantCulture);
        }
        SafetensorsTensors.Save(path, tensors, metadata);
    }

    /// <summary>Makes the operating system write a file's data to the disk (so a power cut after the rename finds it).</summary>
    static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }
}
