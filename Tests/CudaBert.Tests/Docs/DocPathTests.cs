using System.Text.RegularExpressions;

namespace CudaBert.Tests.Docs;

/// <summary>
/// The files the docs point at exist: every repository path in backticks (<c>`Engine/Ops/Ops.Loss.cs`</c>)
/// and every relative link (<c>[…](docs/engine.md)</c>) of README.md and docs/*.md, so a renamed or
/// deleted file cannot leave the reading order (docs/learn.md) or a reference pointing nowhere.
/// </summary>
public partial class DocPathTests
{
    /// <summary>Top-level folders and files a backticked path may start with to count as a repository path.</summary>
    static readonly string[] RepositoryRoots =
        ["Bench/", "Cli/", "Engine/", "Kernels/", "Model/", "Tests/", "Tokenizer/", "docs/", "samples/", "scripts/", "tools/", ".ci/"];

    /// <summary>Backticked text that looks like a repository path (a pattern such as <c>Kernels/&lt;folder&gt;/x.cu</c> or <c>CpuBackend.*.cs</c> is not one).</summary>
    public static IEnumerable<string> BacktickedPaths(string markdown) =>
        Backticked().Matches(markdown).Select(m => m.Groups[1].Value.TrimEnd('/', '.', ','))
            .Select(p => Regex.Replace(p, @":\d+(-\d+)?$", ""))                  // file:line
            .Where(p => RepositoryRoots.Any(r => p.StartsWith(r, StringComparison.Ordinal)))
            .Where(p => p.IndexOfAny([' ', '*', '<', '>', '{', '}', '…', '|', '$']) < 0 && !p.Contains("...", StringComparison.Ordinal));

    /// <summary>Relative Markdown links: the file (empty for the page itself) and the #anchor (empty when none).</summary>
    public static IEnumerable<(string File, string Anchor)> LinkTargets(string markdown) =>
        Link().Matches(markdown).Select(m => m.Groups[1].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal))
            .Select(t => t.Split('#', 2) is [var file, var anchor] ? (file, anchor) : (t, ""));

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    public static HashSet<string> HeadingAnchors(string markdown) =>
        markdown.Split('\n').Where(l => l.StartsWith('#'))
            .Select(l => AnchorDropped().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet();

    [Fact]
    public void EveryPathInTheDocsExists()
    {
        string root = DocSources.Root();
        Assert.True(File.Exists(Path.Combine(root, "docs", "learn.md")), "docs/learn.md, the reading order, is missing");
        var missing = new List<string>();
        foreach (string doc in DocSources.MarkdownFiles(root))
        {
            string text = File.ReadAllText(Path.Combine(root, doc));
            foreach (string path in BacktickedPaths(text).Distinct())
                if (!File.Exists(Path.Combine(root, path)) && !Directory.Exists(Path.Combine(root, path)))
                    missing.Add($"{doc}: `{path}`");
            string folder = Path.GetDirectoryName(Path.Combine(root, doc))!;
            foreach (var (file, anchor) in LinkTargets(text).Distinct())
            {
                string target = file.Length == 0 ? Path.Combine(root, doc) : Path.Combine(folder, file);
                if (!File.Exists(target) && !Directory.Exists(target))
                    missing.Add($"{doc}: link ({file})");
                else if (anchor.Length > 0 && !(target.EndsWith(".md", StringComparison.Ordinal) && HeadingAnchors(File.ReadAllText(target)).Contains(anchor)))
                    missing.Add($"{doc}: link ({file}#{anchor}): no such heading");
            }
        }
        Assert.True(missing.Count == 0, "paths in the docs that do not exist:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void PathsAreRecognisedAndPatternsAreNot()
    {
        const string text = "see `Engine/Ops/Ops.Loss.cs:12`, `Kernels/bert/` and `Engine/Cpu/CpuBackend.*.cs`, " +
                            "`Kernels/<folder>/<name>.cu`, `Tests/.../X.cs`, `Ops.Linear`, `cudabert train`; [a](docs/engine.md#ops) [b](https://x.org)";
        Assert.Equal(["Engine/Ops/Ops.Loss.cs", "Kernels/bert"], BacktickedPaths(text));
        Assert.Equal([("docs/engine.md", "ops")], LinkTargets(text));
        Assert.Equal(["gpu-performance", "every-kernel-cudabert-bench-kernels", "memory-the-caching-allocator"],
            HeadingAnchors("# GPU performance\n## Every kernel (`cudabert bench kernels`)\ntext\n### Memory: the caching allocator"));
    }

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"[^\p{L}\p{N}\s_-]")]
    private static partial Regex AnchorDropped();
}
