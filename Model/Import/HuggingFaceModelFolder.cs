using CudaBert.Engine.IO;
using CudaBert.Model.Bert;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Import;

/// <summary>
/// Writes a Hugging Face-style model folder: <c>config.json</c>, <c>model.safetensors</c> (float32,
/// metadata {"format": "pt"}, which transformers expects), <c>vocab.txt</c> (one token per line, LF
/// line endings, ending with a newline) and <c>tokenizer.json</c>; and reads the tokenizer of one.
/// </summary>
public static class HuggingFaceModelFolder
{
    /// <summary>The model configuration, <c>config.json</c> (see <see cref="BertConfig"/>).</summary>
    public const string ConfigFile = BertWeights.ConfigFile;
    /// <summary>The weights, <c>model.safetensors</c>.</summary>
    public const string WeightsFile = BertWeights.WeightsFile;
    /// <summary>The WordPiece vocabulary, one token per line, id = line number − 1.</summary>
    public const string VocabularyFile = "vocab.txt";
    /// <summary>The Hugging Face tokenizers description (normaliser, pre-tokenizer, vocabulary, special tokens).</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>
    /// Creates <paramref name="folder"/> if needed. A folder that already has files is refused unless
    /// <paramref name="overwrite"/>; then only the files written are replaced, nothing else is deleted.
    /// Call it before long work so a wrong folder fails at once; <see cref="Write"/> calls it too.
    /// </summary>
    /// <exception cref="IOException">The folder is not empty and <paramref name="overwrite"/> is false, or it is a file.</exception>
    public static void Prepare(string folder, bool overwrite)
    {
        if (File.Exists(folder))
            throw new IOException($"'{folder}' is a file, not a folder");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !overwrite)
            throw new IOException($"'{folder}' is not empty; choose an empty or new folder, or allow overwriting (--force)");
        Directory.CreateDirectory(folder);
    }

    /// <summary>The tokenizer of a Hugging Face-style model folder: its <c>tokenizer.json</c>, else its <c>vocab.txt</c> (uncased).</summary>
    public static BertTokenizer LoadTokenizer(string folder)
    {
        string json = Path.Combine(folder, TokenizerFile), vocab = Path.Combine(folder, VocabularyFile);
        return File.Exists(json) ? BertTokenizer.FromTokenizerJson(json)
            : File.Exists(vocab) ? BertTokenizer.FromVocabFile(vocab)
            : throw new FileNotFoundException($"{folder} has neither {TokenizerFile} nor {VocabularyFile}", vocab);
    }

    /// <summary>Writes the four files into <paramref name="folder"/>, after <see cref="Prepare"/>.</summary>
    /// <exception cref="IOException">The folder is not empty and <paramref name="overwrite"/> is false, or it is a file.</exception>
    public static void Write(string folder, BertConfig config, IEnumerable<ImportedTensor> parameters, IReadOnlyList<string> vocabulary, bool overwrite)
    {
        Prepare(folder, overwrite);

        var weights = new SafetensorsWriter();
        weights.Metadata["format"] = "pt";
        foreach (var p in parameters)
            weights.Add(p.Name, p.Shape, p.Values);
        weights.Save(Path.Combine(folder, WeightsFile));

        config.Save(Path.Combine(folder, ConfigFile));
        File.WriteAllText(Path.Combine(folder, VocabularyFile), string.Join('\n', vocabulary) + "\n");
        File.WriteAllText(Path.Combine(folder, TokenizerFile), BertTokenizerJson.Build(vocabulary));
    }
}
