using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Model.Import;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Export;

/// <summary>
/// The four tokenizer files <c>transformers</c>' <c>AutoTokenizer</c> looks for next to a model:
/// <c>tokenizer.json</c> (the fast tokenizer, complete on its own), <c>vocab.txt</c> (the slow
/// <c>BertTokenizer</c>'s vocabulary), <c>tokenizer_config.json</c> (the tokenizer class and its settings:
/// lower-casing, accents, the longest input) and <c>special_tokens_map.json</c> (which token is [CLS], [SEP], …).
/// </summary>
public static class HuggingFaceTokenizerFiles
{
    /// <summary>The tokenizer class and its settings.</summary>
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>The special tokens by role.</summary>
    public const string SpecialTokensFile = "special_tokens_map.json";

    /// <summary>
    /// Writes the four files into <paramref name="folder"/> from the tokenizer of <paramref name="sourceFolder"/>
    /// (its <c>tokenizer.json</c> and <c>vocab.txt</c> are copied as they are when present, else built from the
    /// vocabulary). <paramref name="maxLength"/> is the longest input the model takes (max_position_embeddings).
    /// </summary>
    public static void Write(string folder, string sourceFolder, int maxLength)
    {
        var tokenizer = HuggingFaceModelFolder.LoadTokenizer(sourceFolder);
        var vocabulary = tokenizer.Vocabulary.Tokens;
        CopyOrWrite(sourceFolder, folder, HuggingFaceModelFolder.VocabularyFile, () => string.Join('\n', vocabulary) + "\n");
        CopyOrWrite(sourceFolder, folder, HuggingFaceModelFolder.TokenizerFile, () => BertTokenizerJson.Build(vocabulary));

        var options = tokenizer.Options;
        var specialTokens = SpecialTokens(tokenizer);
        var config = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = options.Lowercase,
            ["strip_accents"] = options.StripAccents,
            ["tokenize_chinese_chars"] = options.HandleChineseCharacters,
            ["model_max_length"] = maxLength,
            ["clean_up_tokenization_spaces"] = true,
        };
        foreach (var (role, token) in specialTokens) config[role] = token;
        File.WriteAllText(Path.Combine(folder, ConfigFile), Indented(config));
        File.WriteAllText(Path.Combine(folder, SpecialTokensFile), Indented(new JsonObject(specialTokens.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)))));
    }

    /// <summary>The special tokens by their Hugging Face role; [MASK] only when the vocabulary has it.</summary>
    static SortedDictionary<string, string> SpecialTokens(BertTokenizer tokenizer)
    {
        var options = tokenizer.Options;
        var tokens = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cls_token"] = options.ClassifierToken,
            ["sep_token"] = options.SeparatorToken,
            ["pad_token"] = options.PaddingToken,
            ["unk_token"] = options.UnknownToken,
        };
        if (tokenizer.Vocabulary.IdOf("[MASK]") >= 0) tokens["mask_token"] = "[MASK]";
        return tokens;
    }

    static void CopyOrWrite(string sourceFolder, string folder, string file, Func<string> build)
    {
        string source = Path.Combine(sourceFolder, file), target = Path.Combine(folder, file);
        if (File.Exists(source)) File.Copy(source, target, overwrite: true);
        else File.WriteAllText(target, build());
    }

    static string Indented(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n";
}
