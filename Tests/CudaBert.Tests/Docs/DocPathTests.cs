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

    /// <summary>Targets of relative Markdown links, without their #anchor.</summary>
    public static IEnumerable<string> LinkTargets(string markdown) =>
        Link().Matches(markdown).Select(m => m.Groups[1].Value.Split('#')[0])
            .Where(t => t.Length > 0 && !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal));

    [Fact]
    public void EveryPathInTheDocsExists()
    {
        string root = RepositoryFiles.Root();
        Assert.True(File.Exists(Path.Combine(root, "docs", "learn.md")), "docs/learn.md, the reading order, is missing");
        var missing = new List<string>();
        foreach (string doc in RepositoryFiles.MarkdownFiles(root))
        {
            string text = File.ReadAllText(Path.Combine(root, doc));
            foreach (string path in BacktickedPaths(text).Distinct())
                if (!File.Exists(Path.Combine(root, path)) && !Directory.Exists(Path.Combine(root, path)))
                    missing.Add($"{doc}: `{path}`");
            string folder = Path.GetDirectoryName(Path.Combine(root, doc))!;
            foreach (string target in LinkTargets(text).Distinct())
                if (!File.Exists(Path.Combine(folder, target)) && !Directory.Exists(Path.Combine(folder, target)))
                    missing.Add($"{doc}: link ({target})");
        }
        Assert.True(missing.Count == 0, "paths in the docs that do not exist:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void PathsAreRecognisedAndPatternsAreNot()
    {
        const string text = "see `Engine/Ops/Ops.Loss.cs:12`, `Kernels/bert/` and `Engine/Cpu/CpuBackend.*.cs`, " +
                            "`Kernels/<folder>/<name>.cu`, `Tests/.../X.cs`, `Ops.Linear`, `cudabert train`; [a](docs/engine.md#ops) [b](https://x.org)";
        Assert.Equal(["Engine/Ops/Ops.Loss.cs", "Kernels/bert"], BacktickedPaths(text));
        Assert.Equal(["docs/engine.md"], LinkTargets(text));
    }

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
