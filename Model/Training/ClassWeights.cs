using System.Globalization;
using System.Text.Json;
using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// Per-label weights for the sentence head's cross-entropy (<see cref="TrainingOptions.ClassWeights"/>),
/// which raise the loss of rare labels. The loss is the weighted mean Σ w[y]·ℓ / Σ w[y] over a batch,
/// so only the ratios between weights matter; the computed ones are scaled so that their mean over the
/// training examples is 1, which keeps the loss on the scale of the unweighted one.
/// </summary>
/// <remarks>
/// With n_c training examples of label c, N of them in all and K labels that have examples:
/// <list type="bullet">
/// <item><c>inverse</c>: w_c = N / (K·n_c): every label carries the same total weight, as if balanced.</item>
/// <item><c>inverse-sqrt</c>: w_c ∝ √(N / (K·n_c)), scaled so that Σ n_c·w_c = N: half the correction on a log scale,
/// which does not let a handful of examples dominate the gradient.</item>
/// </list>
/// A label without training examples is never a target, so its weight never enters the loss: it gets 1.
/// </remarks>
public static class ClassWeights
{
    /// <summary>Let <see cref="ImbalanceRule"/> choose from the training labels.</summary>
    public const string Auto = "auto";
    /// <summary>No weights: the plain mean cross-entropy.</summary>
    public const string None = "none";
    /// <summary>w_c = N / (K·n_c).</summary>
    public const string Inverse = "inverse";
    /// <summary>w_c ∝ √(N / (K·n_c)), scaled to a mean of 1 over the examples.</summary>
    public const string InverseSqrt = "inverse-sqrt";
    /// <summary>The names the option takes besides a weights file.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, None, Inverse, InverseSqrt];

    /// <summary>The weight of a label that no training example carries (it never enters the loss).</summary>
    public const double Unlearnable = 1.0;

    /// <summary>w_c = N / (K·n_c) for each label id; <see cref="Unlearnable"/> where n_c = 0.</summary>
    public static double[] InverseFrequency(IReadOnlyList<int> counts) => Scaled(counts, power: 1);

    /// <summary>w_c ∝ √(N / (K·n_c)), scaled so that Σ n_c·w_c = N; <see cref="Unlearnable"/> where n_c = 0.</summary>
    public static double[] InverseSqrtFrequency(IReadOnlyList<int> counts) => Scaled(counts, power: 0.5);

    /// <summary>(N / (K·n_c))^power, then scaled so that the count-weighted mean Σ n_c·w_c / N is 1.</summary>
    static double[] Scaled(IReadOnlyList<int> counts, double power)
    {
        long total = counts.Sum(n => (long)n);
        int classes = counts.Count(n => n > 0);
        var weights = new double[counts.Count];
        double weightedSum = 0;
        for (int c = 0; c < weights.Length; c++)
        {
            if (counts[c] == 0) continue;
            weights[c] = Math.Pow((double)total / ((double)classes * counts[c]), power);
            weightedSum += counts[c] * weights[c];
        }
        for (int c = 0; c < weights.Length; c++)
            weights[c] = counts[c] == 0 ? Unlearnable : weights[c] * total / weightedSum;
        return weights;
    }

    /// <summary>
    /// Reads user weights: a JSON object <c>{"label": weight, …}</c>, or lines <c>label&lt;TAB&gt;weight</c> (blank
    /// lines skipped). Labels the file does not name get 1; the weights are used as given.
    /// </summary>
    /// <returns>One weight per id of <paramref name="labels"/>.</returns>
    /// <exception cref="DataFormatException">
    /// A malformed line or JSON, a label not in <paramref name="labels"/>, a label named twice, or a weight that is
    /// not a finite number &gt; 0; the message names the file and line.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static double[] ReadFile(string path, LabelSet labels)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"class weights file not found: {path}", path);
        var weights = Enumerable.Repeat(1.0, labels.Count).ToArray();
        var seenOn = new Dictionary<int, int>();
        void Set(string label, double weight, int line)
        {
            if (!labels.TryGetId(label, out int id))
                throw new DataFormatException(path, line, $"unknown sentence label '{label}' (known: {string.Join(", ", labels.Labels.Take(20))}{(labels.Count > 20 ? ", ..." : "")})");
            if (!seenOn.TryAdd(id, line))
                throw new DataFormatException(path, line, $"label '{label}' has a weight already (line {seenOn[id]})");
            if (!double.IsFinite(weight) || weight <= 0)
                throw new DataFormatException(path, line, $"weight of '{label}' is {weight.ToString(CultureInfo.InvariantCulture)}; it must be a finite number > 0");
            weights[id] = weight;
        }

        var lines = TextLines.Read(path);
        if (lines.FirstOrDefault(l => l.Trim().Length > 0)?.TrimStart().StartsWith('{') == true)
            ReadJson(path, Set);
        else
            for (int i = 0; i < lines.Count; i++)
            {
                if (lines[i].Trim().Length == 0) continue;
                string[] parts = lines[i].Split('\t');
                if (parts.Length != 2 || !double.TryParse(parts[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double weight))
                    throw new DataFormatException(path, i + 1, "expected 'label<TAB>weight' (or a JSON object {\"label\": weight})");
                Set(parts[0].Trim(), weight, i + 1);
            }
        return weights;
    }

    /// <summary>Walks a JSON object of label → number, reporting each pair with the line its value is on.</summary>
    static void ReadJson(string path, Action<string, double, int> set)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int LineAt(long offset) => 1 + bytes.AsSpan(0, (int)offset).Count((byte)'\n');
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new DataFormatException(path, LineAt(reader.TokenStartIndex), "expected a JSON object {\"label\": weight, ...}");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string label = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number)
                    throw new DataFormatException(path, LineAt(reader.TokenStartIndex), $"the weight of '{label}' must be a number");
                set(label, reader.GetDouble(), LineAt(reader.TokenStartIndex));
            }
            if (reader.Read())
                throw new DataFormatException(path, LineAt(reader.TokenStartIndex), "unexpected content after the JSON object");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, (int)(e.LineNumber ?? 0) + 1, e.Message);
        }
    }
}
