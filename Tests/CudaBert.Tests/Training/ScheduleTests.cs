using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void AlternateOneTwoUsesTokensEverySecondStep()
    {
        var s = TaskSchedule.Parse("alternate:1,2");
        Assert.Equal([TaskSet.Both, TaskSet.Sentence, TaskSet.Both, TaskSet.Sentence],
            Enumerable.Range(0, 4).Select(step => s.ActiveTasks(step, 0)));
        Assert.Equal("alternate:1,2", s.ToString());
    }

    [Fact]
    public void JointAndPerEpoch()
    {
        Assert.Equal(TaskSet.Both, TaskSchedule.Parse("joint").ActiveTasks(17, 3));
        var perEpoch = TaskSchedule.Parse("per-epoch");
        Assert.Equal(TaskSet.Sentence, perEpoch.ActiveTasks(0, 0));
        Assert.Equal(TaskSet.Tokens, perEpoch.ActiveTasks(0, 1));
    }

    [Theory]
    [InlineData("alternate:0,1")]
    [InlineData("alternate:1")]
    [InlineData("sometimes")]
    public void BadTaskSchedulesAreExplained(string text)
    {
        var e = Assert.Throws<FormatException>(() => TaskSchedule.Parse(text));
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void FreezeRulesParseAndApplyOnTheirSpan()
    {
        var warmup = FreezeRule.Parse("encoder:until-epoch-1");
        Assert.True(warmup.IsFrozen(step: 500, epoch: 0));
        Assert.False(warmup.IsFrozen(step: 501, epoch: 1));

        var late = FreezeRule.Parse("token-head:from-step-100");
        Assert.False(late.IsFrozen(99, 0));
        Assert.True(late.IsFrozen(100, 0));

        var bottom = FreezeRule.Parse("bottom-3");
        Assert.Equal(FreezeTarget.BottomLayers, bottom.Target);
        Assert.Equal(3, bottom.Layers);
        Assert.True(bottom.IsFrozen(1_000_000, 99));
        Assert.Equal("bottom-3:always", bottom.ToString());
        Assert.Equal("sentence-head:until-step-7", FreezeRule.Parse("Sentence-Head:until-step-7").ToString());
    }

    [Theory]
    [InlineData("decoder", "unknown target")]
    [InlineData("bottom-0", "unknown target")]
    [InlineData("encoder:until-7", "unknown schedule")]
    public void BadFreezeRulesAreExplained(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => FreezeRule.Parse(text));
        Assert.Contains(expected, e.Message);
    }
}
