using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Model.Bert;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Export;

/// <summary>
/// <c>reference_logits.json</c>, written beside an export: a few texts, their token ids, attention mask and
/// token type ids as our tokenizer makes them (a padded batch), and the logits of both heads as our forward
/// computes them (evaluation mode). Whoever loads the export in another runtime compares against it; the
/// script <c>tools/export-check/check_hf_export.py</c> does so with <c>transformers</c>.
/// </summary>
public static class ReferenceLogitsFile
{
    /// <summary>The file's name, beside the exported folders.</summary>
    public const string FileName = "reference_logits.json";

    /// <summary>Rows of different lengths, so that the batch is padded.</summary>
    public static readonly IReadOnlyList<string> Texts = ["play some music by queen", "book a table for two in paris tonight", "hello"];

    /// <summary>Encodes <see cref="Texts"/> with <paramref name="tokenizer"/>, runs <paramref name="model"/> on them and writes the file.</summary>
    public static void Write(string path, MultiTaskBert model, BertTokenizer tokenizer)
    {
        var batch = tokenizer.EncodeBatch(Texts);
        int rows = batch.BatchSize, length = batch.SequenceLength;
        float[] sentence, tokens;
        using (var scope = Tensor.Scope())
        using (GradMode.NoGrad())
        {
            bool wasTraining = model.IsTraining;
            model.Eval();
            var device = model.Classifier.Weight.Device;
            var mask = Tensor.FromArray(batch.AttentionMask.Select(m => (float)m).ToArray(), [rows, length], device: device);
            var output = model.Forward(Tensor.FromArray(batch.InputIds, [rows, length], device), mask, Tensor.FromArray(batch.TypeIds, [rows, length], device));
            sentence = output.SentenceLogits.ToFloatArray();
            tokens = output.TokenLogits.ToFloatArray();
            model.Train(wasTraining);
        }

        var file = new JsonObject
        {
            ["texts"] = new JsonArray(Texts.Select(t => (JsonNode?)t).ToArray()),
            ["input_ids"] = Rows(batch.InputIds, rows),
            ["attention_mask"] = Rows(batch.AttentionMask, rows),
            ["token_type_ids"] = Rows(batch.TypeIds, rows),
            ["sentence_logits"] = Rows(sentence, rows),
            ["token_logits"] = Rows(tokens, rows, length),
        };
        File.WriteAllText(path, file.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n");
    }

    /// <summary>A row-major [rows, width] array as one JSON array per row; <paramref name="element"/> gives element i.</summary>
    static JsonArray Rows(int rows, int width, Func<int, JsonNode> element)
    {
        var nested = new JsonArray();
        for (int r = 0; r < rows; r++)
            nested.Add(new JsonArray(Enumerable.Range(r * width, width).Select(i => (JsonNode?)element(i)).ToArray()));
        return nested;
    }

    static JsonArray Rows(int[] values, int rows) => Rows(rows, values.Length / rows, i => JsonValue.Create(values[i]));

    /// <summary>[batch, width] logits, or with <paramref name="sequence"/> [batch, sequence, width] as nested arrays.</summary>
    static JsonArray Rows(float[] values, int batch, int sequence = 1)
    {
        int width = values.Length / (batch * sequence);
        if (sequence == 1) return Rows(batch, width, i => JsonValue.Create(values[i]));
        var nested = new JsonArray();
        for (int b = 0; b < batch; b++)
            nested.Add(Rows(sequence, width, i => JsonValue.Create(values[b * sequence * width + i])));
        return nested;
    }
}
