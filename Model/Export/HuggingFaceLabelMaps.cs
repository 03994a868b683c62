using System.Globalization;
using System.Text.Json.Nodes;
using CudaBert.Model.Data;

namespace CudaBert.Model.Export;

/// <summary>
/// A label set as <c>transformers</c> keeps it in a config: <c>id2label</c> maps the id, written as a
/// string ("0"), to the label; <c>label2id</c> the other way, with integer ids.
/// </summary>
public static class HuggingFaceLabelMaps
{
    /// <summary>{"0": label 0, "1": label 1, …}.</summary>
    public static JsonObject IdToLabel(LabelSet labels)
    {
        var map = new JsonObject();
        for (int i = 0; i < labels.Count; i++) map[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
        return map;
    }

    /// <summary>{label 0: 0, label 1: 1, …}.</summary>
    public static JsonObject LabelToId(LabelSet labels)
    {
        var map = new JsonObject();
        for (int i = 0; i < labels.Count; i++) map[labels[i]] = i;
        return map;
    }
}
