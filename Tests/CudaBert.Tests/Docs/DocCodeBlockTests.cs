namespace CudaBert.Tests.Docs;

/// <summary>
/// Every C# block of README.md and docs/*.md is a region of a program under samples/, character for
/// character, so the code a reader copies is code that compiles (the samples are in the solution)
/// and runs (<see cref="SampleTests"/>).
/// </summary>
public class DocCodeBlockTests
{
    static readonly string[] CSharp = ["csharp", "cs", "c#"];

    [Fact]
    public void EveryCSharpBlockIsARegionOfASample()
    {
        string root = DocSources.Root();
        var regions = Directory.GetFiles(Path.Combine(root, "samples"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f => DocSources.Regions(File.ReadAllText(f), Path.GetRelativePath(root, f)).Select(r => (File: Path.GetRelativePath(root, f), Name: r.Key, Text: r.Value)))
            .ToList();
        Assert.NotEmpty(regions);

        var problems = new List<string>();
        int checkedBlocks = 0;
        foreach (string doc in DocSources.MarkdownFiles(root))
            foreach (var block in DocSources.CodeBlocks(File.ReadAllText(Path.Combine(root, doc)).Replace("\r\n", "\n")))
            {
                if (!CSharp.Contains(block.Language, StringComparer.OrdinalIgnoreCase)) continue;
                checkedBlocks++;
                if (!regions.Any(r => r.Text == block.Text))
                    problems.Add($"{doc}:{block.Line}: this C# block is not a region of any samples/**/*.cs (regions: {string.Join(", ", regions.Select(r => $"{r.File}#{r.Name}"))})");
            }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(checkedBlocks >= 3, $"only {checkedBlocks} C# blocks found in README.md and docs/: the predict, train and embed samples belong in the README");
    }

    [Fact]
    public void RegionsAreReadWithoutTheirCommonIndentation()
    {
        const string source = "class C\n{\n    void M()\n    {\n        // region: demo\n        int a = 1;\n            a++;\n        // endregion\n    }\n}\n";
        Assert.Equal("int a = 1;\n    a++;", DocSources.Regions(source, "C.cs")["demo"]);
        Assert.Throws<InvalidDataException>(() => DocSources.Regions("// region: open\nint a;\n", "D.cs"));
    }
}
