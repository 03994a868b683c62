using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// A tiny <see cref="MultiTaskBert"/> whose every parameter is random — biases, LayerNorm gains and offsets
/// included, which a fresh model has at 0 and 1, where a wrong export of them would not show — saved as a
/// checkpoint with labels and a vocabulary; plus a padded batch to run it on.
/// </summary>
sealed class TinyExportModel : IDisposable
{
    public static readonly string[] Vocabulary =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "some", "music", "by", "queen", "book", "a", "table", "for", "two", "in", "paris", "tonight"];

    public TinyExportModel(string hiddenAct = "gelu", TokenHead tokenHead = TokenHead.Linear)
    {
        Folder = Directory.CreateTempSubdirectory("cudabert-export-").FullName;
        var config = new BertConfig
        {
            VocabSize = Vocabulary.Length, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
            MaxPositionEmbeddings = 16, TypeVocabSize = 2, HiddenAct = hiddenAct,
        };
        SentenceLabels = new LabelSet(["AddToPlaylist", "BookRestaurant", "PlayMusic"]);
        TokenLabels = new LabelSet(["O", "B-artist", "I-artist", "B-city", "B-party_size"]);
        Model = new MultiTaskBert(config, SentenceLabels.Count, TokenLabels.Count, seed: 11, tokenHead: tokenHead);
        Randomise(Model, seed: 12);
        Model.Eval();

        string vocabularyFolder = Path.Combine(Folder, "vocabulary");
        Directory.CreateDirectory(vocabularyFolder);
        File.WriteAllText(Path.Combine(vocabularyFolder, "vocab.txt"), string.Join('\n', Vocabulary) + "\n");
        CheckpointFolder = Path.Combine(Folder, "checkpoint");
        Checkpoint.Save(CheckpointFolder, Model, SentenceLabels, TokenLabels, vocabularyFolder);
    }

    public string Folder { get; }
    public string CheckpointFolder { get; }
    public MultiTaskBert Model { get; }
    public LabelSet SentenceLabels { get; }
    public LabelSet TokenLabels { get; }

    /// <summary>
    /// Three rows of different lengths (7, 4 and 2 tokens, padded to 7), the first a sentence pair so that
    /// token type 1 takes part; padding positions carry token id 0 and mask 0.
    /// </summary>
    public static readonly long[][] InputIds = [[2, 5, 6, 7, 3, 9, 3], [2, 10, 11, 3, 0, 0, 0], [2, 3, 0, 0, 0, 0, 0]];
    public static readonly long[][] TokenTypeIds = [[0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]];
    public static readonly long[][] AttentionMask = [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0]];
    public static int Batch => InputIds.Length;
    public static int Sequence => InputIds[0].Length;

    /// <summary>Our forward on the batch: sentence logits [B·labels] and token logits [B·S·tags], row-major.</summary>
    public static (float[] Sentence, float[] Tokens) Forward(MultiTaskBert model)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        int[] Flat(long[][] rows) => rows.SelectMany(r => r).Select(v => (int)v).ToArray();
        var ids = Tensor.FromArray(Flat(InputIds), [Batch, Sequence]);
        var types = Tensor.FromArray(Flat(TokenTypeIds), [Batch, Sequence]);
        var mask = Tensor.FromArray(AttentionMask.SelectMany(r => r).Select(v => (float)v).ToArray(), [Batch, Sequence]);
        var output = model.Forward(ids, mask, types);
        return (output.SentenceLogits.ToFloatArray(), output.TokenLogits.ToFloatArray());
    }

    /// <summary>Weights and biases N(0, 0.2²); LayerNorm gains 1 + N(0, 0.2²). Only the parameters <paramref name="which"/> accepts, if given.</summary>
    public static void Randomise(MultiTaskBert model, ulong seed, Func<string, bool>? which = null)
    {
        var random = new Random((int)seed);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (which is not null && !which(name)) continue;
            bool gain = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
            var values = new float[parameter.NumElements];
            for (int i = 0; i < values.Length; i++) values[i] = (gain ? 1f : 0f) + 0.2f * (float)Normal(random);
            parameter.Backend.CopyFromHost(MemoryMarshal.AsBytes(values.AsSpan()), parameter);
        }
    }

    static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
