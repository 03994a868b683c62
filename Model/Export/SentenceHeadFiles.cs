using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Engine.IO;
using CudaBert.Engine.Nn;
using CudaBert.Model.Data;

namespace CudaBert.Model.Export;

/// <summary>
/// The sentence head, which no <c>transformers</c> class has (they pool the [CLS] token, ours pools the
/// mean), as two files beside the encoder:
/// <list type="bullet">
/// <item><c>sentence_head.safetensors</c>: <c>weight</c> [labels, hidden] and <c>bias</c> [labels], float32;</item>
/// <item><c>sentence_head.json</c>: the labels (<c>id2label</c>, <c>label2id</c>) and the rule that turns the
/// encoder's <c>last_hidden_state</c> into logits: pooled = Σₛ h[s]·m[s] / max(Σₛ m[s], 1e-9) over the
/// attention mask m, then logits = pooled·weightᵀ + bias.</item>
/// </list>
/// </summary>
public static class SentenceHeadFiles
{
    /// <summary>The head's weight and bias.</summary>
    public const string WeightsFile = "sentence_head.safetensors";

    /// <summary>The labels and the pooling rule.</summary>
    public const string DescriptionFile = "sentence_head.json";

    /// <summary>The smallest mask sum the mean divides by (a row with no token gives zeros, not NaN).</summary>
    public const double MinimumTokenCount = 1e-9;

    /// <summary>Writes both files of <paramref name="head"/> (Linear hidden → labels) into <paramref name="folder"/>.</summary>
    public static void Write(string folder, Linear head, LabelSet labels)
    {
        var weights = new SafetensorsWriter();
        weights.Metadata["format"] = "pt";
        weights.Add("weight", [head.OutFeatures, head.InFeatures], head.Weight.ToFloatArray());
        if (head.Bias is { } bias) weights.Add("bias", [head.OutFeatures], bias.ToFloatArray());
        weights.Save(Path.Combine(folder, WeightsFile));

        var description = new JsonObject
        {
            ["pooling"] = "masked_mean",
            ["pooling_rule"] = "pooled = sum over positions s of last_hidden_state[s] * attention_mask[s], divided by max(sum of attention_mask, 1e-9)",
            ["min_token_count"] = MinimumTokenCount,
            ["classifier"] = "logits = pooled @ weight.T + bias",
            ["weights_file"] = WeightsFile,
            ["hidden_size"] = head.InFeatures,
            ["num_labels"] = head.OutFeatures,
            ["id2label"] = HuggingFaceLabelMaps.IdToLabel(labels),
            ["label2id"] = HuggingFaceLabelMaps.LabelToId(labels),
        };
        File.WriteAllText(Path.Combine(folder, DescriptionFile),
            description.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n");
    }
}
