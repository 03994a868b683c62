using System.Text.RegularExpressions;

namespace CudaBert.Tests.Assertions;

/// <summary>
/// Reads every test source under <c>Tests/</c>: an assertion inside a comment checks nothing, and
/// a bound passed without its name is easy to pass as the wrong one of the pair.
/// </summary>
public partial class TestSourceScanTests
{
    /// <summary>
    /// A call that asserts, in a <c>//</c> or <c>/* */</c> comment. Documentation comments (<c>///</c>)
    /// may show usage and are not scanned.
    /// </summary>
    [GeneratedRegex(@"\b(Assert\w*\.\w+\s*\(|\w*(Close|Equal|True|False|Near|Elementwise|ToScale|Scalar|Matches|MatchesTorch)\s*\()")]
    private static partial Regex AssertionCall();

    [GeneratedRegex(@"\bAssertClose\.\w+\s*\(")]
    private static partial Regex AssertCloseCall();

    [Fact]
    public void NoAssertionCallSitsInAComment()
    {
        var found = new List<string>();
        foreach (var (file, text) in TestSources())
            foreach (var comment in CSharpText.Comments(text))
                if (!comment.IsDocumentation && AssertionCall().Match(comment.Text) is { Success: true } match)
                    found.Add($"{file}:{comment.Line}: '{match.Value}' in a comment");
        Assert.True(found.Count == 0, "assertions that never run:\n" + string.Join("\n", found));
    }

    [Fact]
    public void EveryAssertCloseCallNamesItsBounds()
    {
        var found = new List<string>();
        foreach (var (file, text) in TestSources())
        {
            string code = CSharpText.CodeOnly(text);
            foreach (Match call in AssertCloseCall().Matches(code))
            {
                string arguments = CSharpText.Parenthesized(code, call.Index + call.Length - 1);
                if (!arguments.Contains("absolute:") && !arguments.Contains("relative:"))
                    found.Add($"{file}:{LineOf(code, call.Index)}: {call.Value.TrimEnd('(')} without absolute: or relative:");
            }
        }
        Assert.True(found.Count == 0, "bounds passed by position:\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheScanFindsAnAssertionHiddenAfterCode()
    {
        // One source line per literal, so this file itself holds no code-then-comment-with-assertion line.
        const string source =
            "class C\n" +
            "{\n" +
            "    void M() { F();" + " // AssertClose.Elementwise(a, b, \"x\", relative: 1e-6);\n" +
            "        /// <code>Assert.True(x)</code>\n" +
            "        G(\"// Assert.True(not a comment)\"); }\n" +
            "}\n";
        var comments = CSharpText.Comments(source).Where(c => !c.IsDocumentation && AssertionCall().IsMatch(c.Text)).ToList();
        Assert.Equal([3], comments.Select(c => c.Line));
    }

    static IEnumerable<(string File, string Text)> TestSources()
    {
        string root = RepositoryRoot();
        string tests = Path.Combine(root, "Tests");
        var files = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
            yield return (Path.GetRelativePath(root, file).Replace('\\', '/'), File.ReadAllText(file));
    }

    static string RepositoryRoot() => RepositoryFiles.RootOrSkip("the test sources");

    static int LineOf(string text, int index) => 1 + text.AsSpan(0, index).Count('\n');
}
