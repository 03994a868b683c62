using System.Text.RegularExpressions;

namespace CudaBert.Tests.Docs;

/// <summary>
/// The repository's documentation and samples as the doc tests read them: the checkout is found by
/// walking up from the test binary to <c>CudaBert.sln</c>. A published test bundle (the GPU machine's)
/// has no checkout beside it; the doc tests skip there, saying so.
/// </summary>
static partial class DocSources
{
    public static string Root() => RepositoryFiles.RootOrSkip("the docs and samples");

    /// <summary>README.md and every docs/*.md, as paths relative to the root.</summary>
    public static IEnumerable<string> MarkdownFiles(string root) =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal));

    /// <summary>A fenced code block: its language, its first line number (1-based) and its text.</summary>
    public sealed record CodeBlock(string Language, int Line, string Text);

    public static List<CodeBlock> CodeBlocks(string markdown)
    {
        var blocks = new List<CodeBlock>();
        string[] lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            string language = lines[i][3..].Trim();
            int start = i + 1;
            int end = start;
            while (end < lines.Length && !lines[end].StartsWith("```", StringComparison.Ordinal)) end++;
            blocks.Add(new CodeBlock(language, start + 1, string.Join('\n', lines[start..end])));
            i = end;
        }
        return blocks;
    }

    /// <summary>
    /// The regions of a C# file: the lines between <c>// region: NAME</c> and <c>// endregion</c>,
    /// without the indentation they share.
    /// </summary>
    public static Dictionary<string, string> Regions(string source, string file)
    {
        var regions = new Dictionary<string, string>();
        string[] lines = source.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var start = RegionStart().Match(lines[i]);
            if (!start.Success) continue;
            int end = i + 1;
            while (end < lines.Length && lines[end].Trim() != "// endregion") end++;
            if (end == lines.Length) throw new InvalidDataException($"{file}:{i + 1}: region '{start.Groups[1].Value}' has no '// endregion'");
            string[] body = lines[(i + 1)..end];
            int indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
            regions.Add(start.Groups[1].Value, string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())));
            i = end;
        }
        return regions;
    }

    [GeneratedRegex(@"^\s*// region: ([\w-]+)\s*$")]
    private static partial Regex RegionStart();
}
