using System.Text;
using System.Text.Json.Nodes;
using CudaBert.Fuzz;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Reliability;

/// <summary>tokenizer.json and vocab.txt: malformed input is a TokenizerFormatException naming the file, never another exception or a huge allocation.</summary>
public class TokenizerInputTests
{
    static TokenizerFormatException Refused(byte[] json) =>
        Assert.Throws<TokenizerFormatException>(() => TokenizerJson.Load(new MemoryStream(json), "t.json"));

    static byte[] Edited(Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(FuzzSeeds.TokenizerJson)!.AsObject();
        edit(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    [Theory]
    [InlineData("[]")]                                  // not InvalidOperationException
    [InlineData("\"text\"")]
    [InlineData("""{"normalizer": []}""")]
    public void AWrongJsonKindIsRefused(string json) => Assert.Contains("t.json", Refused(Encoding.UTF8.GetBytes(json)).Message);

    [Fact]
    public void ALoneSurrogateIsRefused()
    {
        string json = Encoding.UTF8.GetString(FuzzSeeds.TokenizerJson).Replace("\"[MASK]\":", "\"\\ud800\":");
        Assert.Contains("not valid Unicode", Refused(Encoding.UTF8.GetBytes(json)).Message);   // not InvalidOperationException
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        byte[] json = FuzzSeeds.TokenizerJson.ToArray();
        int at = Encoding.UTF8.GetString(json).IndexOf("[MASK]", StringComparison.Ordinal) + 1;
        json[at] = 0xC3;   // a lead byte followed by 'A': invalid
        Assert.Contains("not valid Unicode", Refused(json).Message);   // not InvalidOperationException
    }

    [Fact]
    public void ADuplicateKeyIsRefused()
    {
        string json = Encoding.UTF8.GetString(FuzzSeeds.TokenizerJson).Replace("\"padding\":", "\"truncation\":null,\"padding\":");
        Refused(Encoding.UTF8.GetBytes(json));
    }

    [Theory]
    [InlineData(2_000_000_000)]   // not an OutOfMemoryException when encoding
    [InlineData(50_000_000)]      // not 2.3 GB of output for "hello world"
    public void AHugeFixedPaddingIsRefused(int length)
    {
        var error = Refused(Edited(root => root["padding"]!["strategy"] = new JsonObject { ["Fixed"] = length }));
        Assert.Contains("$.padding.strategy.Fixed", error.Message);
        Assert.Contains($"{TokenizerJson.MaxLength}", error.Message);
    }

    [Fact]
    public void AHugeTruncationLengthIsRefused()
    {
        var error = Refused(Edited(root => root["truncation"]!["max_length"] = 2_000_000_000));
        Assert.Contains("$.truncation.max_length", error.Message);
    }

    [Fact]
    public void TheSeedItselfLoads() => Assert.Equal(16, TokenizerJson.Load(new MemoryStream(FuzzSeeds.TokenizerJson), "t.json").Encode("turn on").Length);
}
