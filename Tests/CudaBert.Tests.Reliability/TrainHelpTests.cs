using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CudaBert.Cli.Commands;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Reliability;

/// <summary>
/// What <c>cudabert train --help</c> says a default is, is what a run without the option uses: every
/// "(default N)" / "(default true|false)" in an option's description is compared with the value
/// <see cref="TrainingOptions"/> holds for the option's config key, so the help cannot drift from the code.
/// </summary>
public sealed partial class TrainHelpTests
{
    [GeneratedRegex(@"\(default (?<value>true|false|[-+]?[0-9][0-9.eE+-]*)\)")]
    private static partial Regex StatedDefault();

    [Fact]
    public void EveryStatedDefaultIsTheOptionsDefault()
    {
        var defaults = JsonNode.Parse(new TrainingOptions().ToJson())!.AsObject();
        // The launcher's options are read before any config file: their defaults are the launcher's own.
        defaults["nnodes"] = NodeLaunch.DefaultNodes;
        defaults["node-rank"] = NodeLaunch.DefaultNodeRank;
        defaults["master-port"] = NodeLaunch.DefaultMasterPort;
        var command = TrainCommand.Create();
        int compared = 0;
        foreach (var option in command.Options)
        {
            var match = StatedDefault().Match(option.Description ?? "");
            if (!match.Success) continue;
            string? key = new[] { option.Name }.Concat(option.Aliases).Select(n => n.TrimStart('-'))
                .SelectMany(n => new[] { n, n + "-steps" }).FirstOrDefault(defaults.ContainsKey);
            Assert.True(key is not null, $"{option.Name} states a default but no config key matches it");
            string stated = match.Groups["value"].Value, actual = defaults[key!]!.ToJsonString();
            if (stated is "true" or "false") Assert.Equal(stated, actual);
            else Assert.Equal(double.Parse(stated, CultureInfo.InvariantCulture), double.Parse(actual, CultureInfo.InvariantCulture));
            compared++;
        }
        Assert.True(compared >= 10, $"only {compared} options state a default: did the wording change?");
    }

    [Fact]
    public void TheEpochHelpDescribesTheRecipesBounds()
    {
        var epochs = TrainCommand.Create().Options.Single(o => o.Name == "--epochs");
        Assert.Contains($"{TrainingRecipe.TargetSteps:N0}", epochs.Description, StringComparison.Ordinal);
        Assert.Contains($"{TrainingRecipe.MinEpochs} to {TrainingRecipe.MaxEpochs}", epochs.Description, StringComparison.Ordinal);
    }
}
