using CudaBert.Model;
using CudaBert.Model.Training;

namespace CudaBert.Samples.Train;

/// <summary>
/// What the sample trains when no pretrained encoder is given: a BERT small enough to learn the
/// generated commands in seconds, over a word-level vocabulary made from the training data (every
/// known word is one token, so WordPiece never splits it).
/// </summary>
static class TinyEncoder
{
    /// <summary>2 layers, hidden size 32, 4 heads: about 60,000 parameters with the demo's vocabulary.</summary>
    public static BertConfig Config(int vocabularySize) => new()
    {
        VocabSize = vocabularySize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 64,
    };

    /// <summary>Writes <c>vocab.txt</c> (BERT's special tokens, then every word of the data, lower-cased) into <paramref name="folder"/> and returns the folder.</summary>
    public static string WriteVocabulary(TrainingData data, string folder)
    {
        var words = data.Train.Concat(data.Dev).SelectMany(e => e.Words).Select(w => w.ToLowerInvariant())
            .Distinct().Order(StringComparer.Ordinal);
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words]);
        return folder;
    }
}
