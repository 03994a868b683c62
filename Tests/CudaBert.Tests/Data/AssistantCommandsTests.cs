using CudaBert.Model.Data.Demo;

namespace CudaBert.Tests.Data;

public class AssistantCommandsTests
{
    [Fact]
    public void GenerationIsDeterministicAndWellFormed()
    {
        var a = AssistantCommands.Generate(300, seed: 11);
        var b = AssistantCommands.Generate(300, seed: 11);
        Assert.Equal(a.Select(e => e.Text), b.Select(e => e.Text));
        Assert.All(a, e =>
        {
            Assert.Equal(e.Words.Length, e.Tags!.Length);
            Assert.Contains(e.SentenceLabel!, AssistantCommands.IntentNames);
            Assert.All(e.Tags!, t => Assert.Contains(t, AssistantCommands.SlotTags));
            // IOB2: every entity starts with B-, so chunking never sees a stray I-.
            for (int i = 0; i < e.Tags!.Length; i++)
                if (e.Tags[i].StartsWith("I-"))
                    Assert.Equal(e.Tags[i][2..], e.Tags[i - 1][2..]);
        });
        Assert.Equal(AssistantCommands.IntentNames.Count, a.Select(e => e.SentenceLabel).Distinct().Count());
    }

    [Fact]
    public void TaggedFractionDropsTagsButKeepsIntents()
    {
        var examples = AssistantCommands.Generate(2000, seed: 3, taggedFraction: 0.1);
        int tagged = examples.Count(e => e.HasTags);
        Assert.InRange(tagged, 140, 260); // 200 expected; 4.2 standard deviations either side
        Assert.All(examples, e => Assert.True(e.HasSentenceLabel));
    }
}
