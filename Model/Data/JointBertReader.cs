namespace CudaBert.Model.Data;

/// <summary>
/// Reads a JointBERT-style split folder (e.g. <c>snips/train</c>): <c>seq.in</c> holds one sentence
/// of whitespace-separated words per line, <c>seq.out</c> one tag per word on the same line number,
/// <c>label</c> the sentence's intent. <c>seq.in</c> is required; either label file may be absent,
/// and then its task is absent from every example.
/// </summary>
public static class JointBertReader
{
    /// <summary>Reads every example of the split folder <paramref name="splitFolder"/>, in file order.</summary>
    /// <param name="splitFolder">The split folder to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped; null: <see cref="DataReadOptions.Strict"/>.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string splitFolder, DataReadOptions? options = null) =>
        Read(splitFolder, options ?? DataReadOptions.Strict, out _);

    /// <summary>Reads every example of the split folder <paramref name="splitFolder"/>, in file order, and reports the lines it skipped.</summary>
    /// <param name="splitFolder">The split folder to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped (and listed in <paramref name="report"/>).</param>
    /// <param name="report">How many examples were read and which lines were skipped, with why.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string splitFolder, DataReadOptions options, out DataReadReport report)
    {
        if (!Directory.Exists(splitFolder)) throw new DirectoryNotFoundException($"data folder not found: {splitFolder}");
        string wordsPath = Path.Combine(splitFolder, "seq.in");
        string tagsPath = Path.Combine(splitFolder, "seq.out");
        string labelPath = Path.Combine(splitFolder, "label");
        if (!File.Exists(wordsPath))
            throw new FileNotFoundException($"{splitFolder} is not a JointBERT split folder: it has no seq.in", wordsPath);

        var words = TextLines.Read(wordsPath);
        var tags = File.Exists(tagsPath) ? TextLines.Read(tagsPath) : null;
        var labels = File.Exists(labelPath) ? TextLines.Read(labelPath) : null;
        DropFinalEmptyLine(words);
        if (tags is not null) DropFinalEmptyLine(tags);
        if (labels is not null) DropFinalEmptyLine(labels);
        if (tags is not null && tags.Count != words.Count)
            throw new DataFormatException(tagsPath, Math.Min(tags.Count, words.Count) + 1,
                $"{tags.Count} lines of tags but {wordsPath} has {words.Count} lines of words");
        if (labels is not null && labels.Count != words.Count)
            throw new DataFormatException(labelPath, Math.Min(labels.Count, words.Count) + 1,
                $"{labels.Count} labels but {wordsPath} has {words.Count} lines of words");

        report = new DataReadReport();
        var examples = new List<TwoTaskExample>(words.Count);
        for (int i = 0; i < words.Count; i++)
        {
            int line = i + 1;
            string[] sentence = SplitWords(words[i]);
            if (sentence.Length == 0)
            {
                report.Fail(options, new DataFormatException(wordsPath, line, "empty sentence"));
                continue;
            }
            string[]? sentenceTags = null;
            if (tags is not null)
            {
                sentenceTags = SplitWords(tags[i]);
                if (sentenceTags.Length != sentence.Length)
                {
                    report.Fail(options, new DataFormatException(tagsPath, line,
                        $"{sentenceTags.Length} tags for {sentence.Length} words in {wordsPath}"));
                    continue;
                }
            }
            string? label = labels?[i].Trim();
            if (label is { Length: 0 })
            {
                report.Fail(options, new DataFormatException(labelPath, line, "empty label"));
                continue;
            }
            examples.Add(new TwoTaskExample(sentence, label, sentenceTags, wordsPath, line));
        }
        report.Examples = examples.Count;
        return examples;
    }

    internal static string[] SplitWords(string line) =>
        line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    static void DropFinalEmptyLine(List<string> lines)
    {
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
    }
}
