using CudaBert.Model.Metrics;

namespace CudaBert.Tests.Metrics;

// Expected spans were worked out by hand from seqeval's default (conlleval) chunking rules.
public class IobChunkerTests
{
    static List<EntitySpan> Chunks(params string[] tags) => IobChunker.Chunks(tags);

    [Fact]
    public void BeginInsideOutside() =>
        Assert.Equal([new("PER", 0, 1), new("LOC", 3, 3)], Chunks("B-PER", "I-PER", "O", "B-LOC"));

    [Fact]
    public void InsideAfterOutsideStartsAnEntity() =>
        Assert.Equal([new("PER", 0, 1)], Chunks("I-PER", "I-PER", "O"));

    [Fact]
    public void TypeChangeEndsAndStarts() =>
        Assert.Equal([new("PER", 0, 0), new("LOC", 1, 1)], Chunks("B-PER", "I-LOC"));

    [Fact]
    public void ConsecutiveBeginsAreSeparateEntities() =>
        Assert.Equal([new("PER", 0, 0), new("PER", 1, 1)], Chunks("B-PER", "B-PER"));

    [Fact]
    public void StrayInsideThenBegin() =>
        Assert.Equal([new("MISC", 1, 1), new("MISC", 2, 3)], Chunks("O", "I-MISC", "B-MISC", "I-MISC"));

    [Fact]
    public void TrailingEntityIsClosed() =>
        Assert.Equal([new("PER", 0, 2)], Chunks("B-PER", "I-PER", "I-PER"));

    [Fact]
    public void IobesSingleAndEnd() =>
        Assert.Equal([new("PER", 0, 0), new("LOC", 1, 2)], Chunks("S-PER", "B-LOC", "E-LOC", "O"));

    [Fact]
    public void TypesWithUnderscoresAndDashesKeepEverythingAfterTheFirstDash() =>
        Assert.Equal([new("object_type", 0, 1), new("a-b", 2, 2)], Chunks("B-object_type", "I-object_type", "B-a-b"));

    [Fact]
    public void AllOutsideHasNoEntities() => Assert.Empty(Chunks("O", "O", "O"));
}
