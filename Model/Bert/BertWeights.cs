using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Engine.Nn;

namespace CudaBert.Model.Bert;

/// <summary>
/// Moves parameters between a module and a Hugging Face <c>model.safetensors</c>, by name.
/// <para>Checkpoints name the encoder either bare (<c>embeddings.…</c>, as <c>BertModel</c> saves it) or
/// under <c>bert.</c> (as every <c>BertFor…</c> task model saves it). A model parameter is looked up
/// under its own name first, then with the <c>bert.</c> prefix removed (if it has it) or added (if it
/// has not); so a bare <see cref="BertModel"/> and a <see cref="MultiTaskBert"/> (whose encoder is
/// <c>bert.…</c>) both load either kind.</para>
/// </summary>
public static class BertWeights
{
    /// <summary>File name of the model configuration in a Hugging Face folder.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>File name of the weights in a Hugging Face folder (only safetensors are read).</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>The prefix under which task models (<c>BertFor…</c>, <see cref="MultiTaskBert"/>) name their encoder's parameters.</summary>
    public const string EncoderPrefix = "bert.";

    /// <summary>How many parameters a config may describe beyond the values of its weight file before it is refused unbuilt (4 MB of float32).</summary>
    public const long MissingValuesToleratedBeforeBuilding = 1_000_000;

    /// <summary>The <c>config.json</c> of a folder; an error names the folder when it or the file is not there.</summary>
    public static string ConfigPath(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder '{folder}' does not exist");
        string path = System.IO.Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{folder}' has no {ConfigFile}: it is not a Hugging Face model folder", path);
        return path;
    }

    /// <summary>The <c>model.safetensors</c> of a folder; an error names the folder when it is not there.</summary>
    public static string WeightsPath(string folder)
    {
        string path = System.IO.Path.Combine(folder, WeightsFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{folder}' has no {WeightsFile} (only safetensors checkpoints are read; convert pytorch_model.bin first)", path);
        return path;
    }

    /// <summary>
    /// Checks, before a model is built, that the weights file can be the model <paramref name="config"/>
    /// describes: the word embeddings (when present) are [vocab_size, hidden_size], each of
    /// <paramref name="heads"/> (a name and the shape the model will give it) is there with that shape,
    /// and the file is not short of the encoder's parameter count by more than
    /// <see cref="MissingValuesToleratedBeforeBuilding"/>. A config whose sizes
    /// do not belong to the weights (a wrong folder, a renamed key that fell back to its default, a
    /// corrupt number) thus fails in milliseconds instead of allocating the model it describes first.
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot hold that model; the message names both files.</exception>
    public static void CheckFitsConfig(string path, BertConfig config, string configPath, params (string Name, long[] Shape)[] heads)
    {
        using var file = SafetensorsFile.Open(path);
        long[] embeddings = [config.VocabSize, config.HiddenSize];
        foreach (string name in CandidateNames("embeddings.word_embeddings.weight").Where(file.Contains))
        {
            var info = file.GetInfo(name);
            if (!info.Shape.SequenceEqual(embeddings))
                throw new InvalidDataException(
                    $"'{path}': tensor '{name}' is {info.ShapeText} but config '{configPath}' gives vocab_size {config.VocabSize} and hidden_size {config.HiddenSize}");
        }
        foreach (var (name, shape) in heads)
        {
            if (!file.Contains(name)) throw new InvalidDataException($"'{path}' has no tensor '{name}'");
            var info = file.GetInfo(name);
            if (!info.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"'{path}': tensor '{name}' is {info.ShapeText} but config '{configPath}' makes it [{string.Join(", ", shape)}]");
        }
        // A small shortfall (a missing layer of a tiny model) is left to Load, which names every missing tensor.
        long parameters = config.EncoderParameterCount(), values = file.Tensors.Sum(t => t.ElementCount);
        if (parameters - values > MissingValuesToleratedBeforeBuilding)
            throw new InvalidDataException(
                $"config '{configPath}' describes an encoder of {parameters} parameters but '{path}' holds only {values} values: the config does not belong to these weights");
    }

    /// <summary>Whether the safetensors file holds at least one of <paramref name="names"/>.</summary>
    public static bool ContainsAny(string path, params string[] names)
    {
        using var file = SafetensorsFile.Open(path);
        return names.Any(file.Contains);
    }

    /// <summary>
    /// Copies every checkpoint tensor that matches a parameter into it (converted to the parameter's
    /// dtype). A shape mismatch is refused, naming both shapes; nothing is copied before every shape is checked.
    /// Missing and unused names are reported, not refused: the caller decides.
    /// </summary>
    public static WeightLoadReport Load(Module model, string path)
    {
        using var file = SafetensorsFile.Open(path);
        var plan = new List<(string Parameter, string TensorName, Tensor Target)>();
        var missing = new List<string>();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            string? found = CandidateNames(name).FirstOrDefault(file.Contains);
            if (found is null)
            {
                missing.Add(name);
                continue;
            }
            var info = file.GetInfo(found);
            long[] expected = parameter.Shape.ToArray().Select(d => (long)d).ToArray();
            if (!info.Shape.SequenceEqual(expected))
                throw new InvalidDataException(
                    $"'{path}': tensor '{found}' has shape {info.ShapeText} but the model's parameter '{name}' is {parameter.Shape}");
            if (!info.DType.IsFloating())
                throw new InvalidDataException($"'{path}': tensor '{found}' is {info.DType.HeaderName()}, not a floating-point weight for '{name}'");
            plan.Add((name, found, parameter));
        }

        foreach (var (_, tensorName, target) in plan)
        {
            if (target.DType == DType.Float64) target.Backend.CopyFromHost(MemoryMarshal.AsBytes(file.ReadFloat64(tensorName).AsSpan()), target);
            else if (target.DType == DType.Float32) target.Backend.CopyFromHost(MemoryMarshal.AsBytes(file.ReadFloat32(tensorName).AsSpan()), target);
            else throw new NotSupportedException($"loading '{tensorName}' into a {target.DType} parameter");
        }

        var used = plan.Select(p => p.TensorName).ToHashSet(StringComparer.Ordinal);
        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        return new WeightLoadReport(path, plan.Select(p => (p.Parameter, p.TensorName)).ToList(), missing, unexpected);
    }

    /// <summary>Writes every parameter under its name as a safetensors file (float32/float64 as the parameter), metadata {"format": "pt"}.</summary>
    public static void Save(Module model, string path)
    {
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var (name, parameter) in model.NamedParameters())
        {
            long[] shape = parameter.Shape.ToArray().Select(d => (long)d).ToArray();
            if (parameter.DType == DType.Float64) writer.Add(name, shape, parameter.ToArray<double>());
            else writer.Add(name, shape, parameter.ToFloatArray());
        }
        writer.Save(path);
    }

    /// <summary>
    /// The checkpoint names a parameter may have, in the order they are tried: its own name, the name
    /// with <c>bert.</c> toggled, and both again with the LayerNorm names of the original BERT release
    /// (<c>LayerNorm.gamma</c>/<c>LayerNorm.beta</c>, still used by bert-base-uncased's model.safetensors).
    /// </summary>
    private static IEnumerable<string> CandidateNames(string parameterName)
    {
        string toggled = parameterName.StartsWith(EncoderPrefix, StringComparison.Ordinal)
            ? parameterName[EncoderPrefix.Length..]
            : EncoderPrefix + parameterName;
        yield return parameterName;
        yield return toggled;
        if (LegacyLayerNormName(parameterName) is { } legacy)
        {
            yield return legacy;
            yield return LegacyLayerNormName(toggled)!;
        }
    }

    private static string? LegacyLayerNormName(string name) =>
        name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) ? name[..^"weight".Length] + "gamma"
        : name.EndsWith("LayerNorm.bias", StringComparison.Ordinal) ? name[..^"bias".Length] + "beta"
        : null;
}
