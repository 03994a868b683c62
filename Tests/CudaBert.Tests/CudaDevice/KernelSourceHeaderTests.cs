namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// Every CUDA source under Kernels/ (bert, course, tests) opens with three lines that lead a reader to
/// its CPU twin, its tests and its benchmark:
/// <code>
/// // CPU twin: Engine/Cpu/CpuBackend.Normalization.cs
/// // Tests: Tests/CudaBert.Tests/BertKernels/LayerNormKernelTests.cs
/// // Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs, Course/CourseBenchmark.cs
/// </code>
/// Each names repository paths (comma-separated) that must exist, so the headers cannot rot; the CPU
/// twin and the benchmark may instead be "none (why)". Tests cannot be none.
/// </summary>
public class KernelSourceHeaderTests
{
    static readonly string[] Labels = ["CPU twin", "Tests", "Benchmark"];

    [Fact]
    public void EveryKernelSourceNamesItsCpuTwinTestsAndBenchmark()
    {
        string root = RepositoryRoot();
        var kernels = Path.Combine(root, "Kernels");
        var sources = Directory.EnumerateFiles(kernels, "*.cu", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("Kernels/ptx/", StringComparison.Ordinal) && !path.Contains("/bin/") && !path.Contains("/obj/"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains("Kernels/bert/layernorm.cu", sources);
        Assert.Contains("Kernels/course/gemm/1_naive.cu", sources);
        Assert.Contains("Kernels/tests/vector_add.cu", sources);

        var problems = sources.SelectMany(source => HeaderProblems(source, File.ReadAllText(Path.Combine(root, source)),
            path => File.Exists(Path.Combine(root, path)))).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ARottenHeaderIsReported()
    {
        const string text = "// CPU twin: Engine/Cpu/Gone.cs\n// Tests: none (forgot)\n// Benchmark Cli/Commands/Bench/KernelBenchmarks.cs\n";
        var problems = HeaderProblems("Kernels/bert/x.cu", text, path => path == "Cli/Commands/Bench/KernelBenchmarks.cs");
        Assert.Equal(3, problems.Count);
        Assert.Contains("Kernels/bert/x.cu line 1: Engine/Cpu/Gone.cs does not exist", problems);
        Assert.Contains("Kernels/bert/x.cu line 2: the tests cannot be none", problems);
        Assert.Contains("Kernels/bert/x.cu line 3: expected \"// Benchmark: \"", problems);
    }

    /// <summary>What is wrong with the first three lines of <paramref name="text"/> (the source at <paramref name="source"/>).</summary>
    static List<string> HeaderProblems(string source, string text, Func<string, bool> exists)
    {
        var problems = new List<string>();
        var lines = text.Split('\n');
        for (int i = 0; i < Labels.Length; i++)
        {
            string prefix = $"// {Labels[i]}: ";
            string line = i < lines.Length ? lines[i].TrimEnd('\r') : "";
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                problems.Add($"{source} line {i + 1}: expected \"{prefix}\"");
                continue;
            }
            string value = line[prefix.Length..];
            if (value.StartsWith("none (", StringComparison.Ordinal) && value.EndsWith(')'))
            {
                if (Labels[i] == "Tests") problems.Add($"{source} line {i + 1}: the tests cannot be none");
                continue;
            }
            foreach (var path in value.Split(", "))
                if (!exists(path))
                    problems.Add($"{source} line {i + 1}: {path} does not exist");
        }
        return problems;
    }

    static string RepositoryRoot() => RepositoryFiles.RootOrSkip("the kernel sources");
}
