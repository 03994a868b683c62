namespace CudaBert.Model.Data;

/// <summary>
/// Reads CoNLL-style token files: one token per line with its tag in the last whitespace-separated
/// column (other columns, e.g. POS tags, are ignored), a blank line between sentences, and
/// <c>-DOCSTART-</c> lines skipped. Examples carry tags only (no sentence label).
/// </summary>
public static class ConllReader
{
    /// <summary>Reads every example of the CoNLL file <paramref name="path"/>, in file order.</summary>
    /// <param name="path">The CoNLL file to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped; null: <see cref="DataReadOptions.Strict"/>.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string path, DataReadOptions? options = null) =>
        Read(path, options ?? DataReadOptions.Strict, out _);

    /// <summary>Reads every example of the CoNLL file <paramref name="path"/>, in file order, and reports the lines it skipped.</summary>
    /// <param name="path">The CoNLL file to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped (and listed in <paramref name="report"/>).</param>
    /// <param name="report">How many examples were read and which lines were skipped, with why.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string path, DataReadOptions options, out DataReadReport report)
    {
        var lines = TextLines.Read(path);
        report = new DataReadReport();
        var examples = new List<TwoTaskExample>();
        var words = new List<string>();
        var tags = new List<string>();
        int sentenceStart = 0;
        bool sentenceBad = false;

        void Flush()
        {
            if (words.Count > 0 && !sentenceBad)
                examples.Add(new TwoTaskExample([.. words], null, [.. tags], path, sentenceStart));
            words.Clear();
            tags.Clear();
            sentenceBad = false;
        }

        for (int i = 0; i < lines.Count; i++)
        {
            int line = i + 1;
            string[] columns = JointBertReader.SplitWords(lines[i]);
            if (columns.Length == 0) { Flush(); continue; }
            if (columns[0] == "-DOCSTART-") { Flush(); continue; }
            if (words.Count == 0) sentenceStart = line;
            if (columns.Length < 2)
            {
                // A bad line spoils its whole sentence: skipping one token would misalign nothing
                // but would silently change the sentence.
                report.Fail(options, new DataFormatException(path, line, $"expected a token and a tag, found '{lines[i].Trim()}'"));
                sentenceBad = true;
                continue;
            }
            words.Add(columns[0]);
            tags.Add(columns[^1]);
        }
        Flush();
        report.Examples = examples.Count;
        return examples;
    }
}
