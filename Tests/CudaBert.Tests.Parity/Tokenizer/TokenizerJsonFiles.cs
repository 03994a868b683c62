using System.Text;
using System.Text.Json.Nodes;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>The oracle's tokenizer.json (Fixtures/tokenizer/tokenizer-template.json) with the MiniLM vocabulary put back in.</summary>
internal static class TokenizerJsonFiles
{
    public static JsonObject OracleTemplate()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizer", "tokenizer-template.json")))!.AsObject();
        var vocab = new JsonObject();
        var tokens = MiniLmVocabulary.Shared.Tokens;
        for (int id = 0; id < tokens.Count; id++) vocab[tokens[id]] = id;
        json["model"]!["vocab"] = vocab;
        return json;
    }

    public static BertTokenizer Load(JsonNode json) =>
        TokenizerJson.Load(new MemoryStream(Encoding.UTF8.GetBytes(json.ToJsonString())), "tokenizer.json");
}
