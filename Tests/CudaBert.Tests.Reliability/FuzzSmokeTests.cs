using CudaBert.Fuzz;

namespace CudaBert.Tests.Reliability;

/// <summary>
/// A short fixed-seed fuzzing run of every parser: no foreign exception, no hang. The long run and
/// its result are in docs/reliability.md.
/// </summary>
public class FuzzSmokeTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void NoCrashOrHang(string name)
    {
        var target = FuzzTargets.All.Single(t => t.Name == name);
        var result = new FuzzRunner(seed: 20261206, TimeSpan.FromSeconds(10)).Run(target, inputs: 2000);
        Assert.Equal(2000, result.Tried);
        Assert.True(result.Crashed + result.Hung == 0, string.Join("\n", result.Findings));
        Assert.True(result.Accepted > 0 && result.Rejected > 0, $"{result}: the mutations should produce both valid and invalid inputs");
    }
}
