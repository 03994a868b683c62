using CudaBert.Model.Data;
using CudaBert.Model.Metrics;

namespace CudaBert.Tests.Metrics;

public class PredictionErrorTests
{
    static TwoTaskExample Example(string text, string? intent, string? tags, int line) =>
        new(text.Split(' '), intent, tags?.Split(' '), "dev.tsv", line);

    [Fact]
    public void FindKeepsOnlyWrongExamplesInDataOrderAndSaysWhatIsWrong()
    {
        TwoTaskExample[] examples =
        [
            Example("play jazz", "PlayMusic", "O B-genre", 1),          // right
            Example("play jazz", "PlayMusic", "O B-genre", 2),          // intent wrong
            Example("rain in paris", "GetWeather", "O O B-city", 3),    // a tag wrong
            Example("rain in paris", "GetWeather", "O O B-city", 4),    // both wrong
            Example("rain in paris", null, "O O B-city", 5),            // no gold intent: only its tags count
            Example("rain in paris", "GetWeather", null, 6),            // no gold tags: only its intent counts
        ];
        string[] intents = ["PlayMusic", "AddToPlaylist", "GetWeather", "PlayMusic", "PlayMusic", "GetWeather"];
        IReadOnlyList<string>[] tags = [["O", "B-genre"], ["O", "B-genre"], ["O", "O", "B-state"], ["O", "O", "O"], ["O", "O", "B-city"], ["O", "O", "O"]];

        var errors = PredictionError.Find(examples, intents, tags);

        Assert.Equal([2, 3, 4], errors.Select(e => e.Example.Line));
        Assert.Equal([true, false, true], errors.Select(e => e.IntentWrong));
        Assert.Equal([false, true, true], errors.Select(e => e.TagsWrong));
        Assert.Equal("AddToPlaylist", errors[0].PredictedIntent);
    }

    [Fact]
    public void FindNamesTheExampleWhosePredictedTagsDoNotFitItsWords()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            PredictionError.Find([Example("play jazz", "PlayMusic", "O B-genre", 7)], ["PlayMusic"], [["O"]]));
        Assert.Contains("dev.tsv:7: 1 predicted tags for 2 words", ex.Message);
        Assert.Throws<ArgumentException>(() => PredictionError.Find([Example("play jazz", "PlayMusic", null, 1)], [], []));
    }

    [Fact]
    public void FrameBracketsEachEntityAsTheChunkerReadsIt()
    {
        string[] words = ["add", "digging", "now", "to", "my", "young", "at", "heart", "playlist"];
        Assert.Equal("add [playlist: digging now] to [playlist_owner: my] [entity_name: young at heart] playlist",
            PredictionError.Frame(words, ["O", "B-playlist", "I-playlist", "O", "B-playlist_owner", "B-entity_name", "I-entity_name", "I-entity_name", "O"]));
        // An I- tag after O starts an entity (seqeval's lenient reading), and a change of type ends one.
        Assert.Equal("[a: rain] [b: in paris]", PredictionError.Frame(["rain", "in", "paris"], ["I-a", "B-b", "I-b"]));
        Assert.Equal("rain in paris", PredictionError.Frame(["rain", "in", "paris"], ["O", "O", "O"]));
    }
}
