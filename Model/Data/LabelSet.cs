namespace CudaBert.Model.Data;

/// <summary>
/// An ordered set of label strings with their integer ids (id = position). Read from a label file
/// (one label per line, as JointBERT's <c>intent_label.txt</c>) or collected from data (ordinal
/// order, so the same data always gives the same ids).
/// </summary>
public sealed class LabelSet
{
    readonly string[] _labels;
    readonly Dictionary<string, int> _ids;

    /// <summary>A set whose ids are the positions of <paramref name="labels"/>.</summary>
    /// <exception cref="ArgumentException">A label appears twice; the message names it and both positions.</exception>
    public LabelSet(IEnumerable<string> labels)
    {
        _labels = labels.ToArray();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _labels.Length; i++)
            if (!_ids.TryAdd(_labels[i], i))
                throw new ArgumentException($"duplicate label '{_labels[i]}' at positions {_ids[_labels[i]]} and {i}");
    }

    /// <summary>Number of labels; ids run from 0 to Count − 1.</summary>
    public int Count => _labels.Length;
    /// <summary>The labels in id order.</summary>
    public IReadOnlyList<string> Labels => _labels;
    /// <summary>The label with id <paramref name="id"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="id"/> is not in [0, <see cref="Count"/>).</exception>
    public string this[int id] => _labels[id];

    /// <summary>Looks a label up (ordinal, case-sensitive); false when it is not in the set.</summary>
    public bool TryGetId(string label, out int id) => _ids.TryGetValue(label, out id);

    /// <summary>The id of a label; an unknown label is an error that names it and where it came from.</summary>
    public int IdOf(string label, string where) =>
        _ids.TryGetValue(label, out int id)
            ? id
            : throw new KeyNotFoundException($"{where}: unknown label '{label}' (known: {string.Join(", ", _labels.Take(20))}{(_labels.Length > 20 ? ", ..." : "")})");

    /// <summary>Reads a label file: one label per line, surrounding whitespace trimmed, blank lines skipped.</summary>
    /// <exception cref="DataFormatException">The file is not UTF-8 or a label appears twice; the message names the file and line.</exception>
    public static LabelSet ReadFile(string path)
    {
        var lines = TextLines.Read(path);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var labels = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            string label = lines[i].Trim();
            if (label.Length == 0) continue;
            if (!firstLine.TryAdd(label, i + 1))
                throw new DataFormatException(path, i + 1, $"duplicate label '{label}' (first on line {firstLine[label]})");
            labels.Add(label);
        }
        return new LabelSet(labels);
    }

    /// <summary>Writes the labels one per line in id order, the format <see cref="ReadFile"/> reads back.</summary>
    public void WriteFile(string path) => File.WriteAllLines(path, _labels);

    /// <summary>The distinct sentence labels of <paramref name="examples"/>, in ordinal order; examples without one are ignored.</summary>
    public static LabelSet FromSentenceLabels(IEnumerable<TwoTaskExample> examples) =>
        new(examples.Where(e => e.SentenceLabel is not null).Select(e => e.SentenceLabel!).Distinct().Order(StringComparer.Ordinal));

    /// <summary>Tag labels from data, with "O" first when present (the conventional id 0).</summary>
    public static LabelSet FromTags(IEnumerable<TwoTaskExample> examples)
    {
        var tags = examples.Where(e => e.Tags is not null).SelectMany(e => e.Tags!).Distinct().Order(StringComparer.Ordinal).ToList();
        if (tags.Remove("O")) tags.Insert(0, "O");
        return new LabelSet(tags);
    }
}
