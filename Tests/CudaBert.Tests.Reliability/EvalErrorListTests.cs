using System.CommandLine;
using System.Text.Json.Nodes;
using CudaBert.Cli;
using CudaBert.Cli.Commands;
using CudaBert.Fuzz;

namespace CudaBert.Tests.Reliability;

/// <summary>
/// <c>cudabert eval --errors N</c> on a small untrained checkpoint (which gets many examples wrong): the JSON lists
/// the first N wrong examples in data order, each really wrong, and nothing without the option.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class EvalErrorListTests
{
    static JsonObject Eval(SeedFolder folder, params string[] extra)
    {
        var root = new RootCommand("cudabert") { EvalCommand.Create() };
        var output = new StringWriter();
        var standardOutput = Console.Out;
        Console.SetOut(output);
        try
        {
            int code = CommandLineErrors.Invoke(root, ["eval", "--model", folder.Path, "--data", folder.File("dev.jsonl"), "--device", "cpu", "--json", .. extra], TextWriter.Null);
            Assert.Equal(0, code);
        }
        finally
        {
            Console.SetOut(standardOutput);
        }
        return JsonNode.Parse(output.ToString())!.AsObject();
    }

    [Fact]
    public void ErrorsListsTheFirstWrongExamplesInDataOrder()
    {
        using var folder = new SeedFolder();
        File.WriteAllBytes(folder.File("dev.jsonl"), FuzzSeeds.JsonLines);

        var report = Eval(folder, "--errors", "1000");
        Assert.Null(Eval(folder)["errors"]);
        var all = report["errors"]!.AsArray();
        Assert.True(all.Count >= 2, $"the untrained checkpoint got {all.Count} examples wrong; the test needs two");
        foreach (var e in all)
        {
            bool intentWrong = e!["intent"] is { } gold && (string)gold! != (string)e["predicted_intent"]!;
            bool tagsWrong = e["tags"] is JsonArray tags && !tags.Select(t => (string)t!).SequenceEqual(e["predicted_tags"]!.AsArray().Select(t => (string)t!));
            Assert.True(intentWrong || tagsWrong, $"line {e["line"]} is listed but right");
        }
        Assert.Equal(all.Select(e => (int)e!["line"]!).Order(), all.Select(e => (int)e!["line"]!));
        // Every wrong intent is listed: as many as the accuracy leaves.
        int withIntent = File.ReadAllLines(folder.File("dev.jsonl")).Count(line => JsonNode.Parse(line)!["label"] is not null);
        int wrongIntents = all.Count(e => e!["intent"] is { } gold && (string)gold! != (string)e["predicted_intent"]!);
        Assert.Equal(Math.Round((1 - (double)report["intent_accuracy"]!) * withIntent), wrongIntents);

        var first = Eval(folder, "--errors", "1")["errors"]!.AsArray();
        Assert.Equal((int)all[0]!["line"]!, (int)Assert.Single(first)!["line"]!);
    }
}
