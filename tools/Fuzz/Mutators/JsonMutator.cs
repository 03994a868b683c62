using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CudaBert.Fuzz.Mutators;

/// <summary>
/// Structure-aware edits of a JSON document: one value replaced by an awkward one (null, a wrong
/// kind, a lone surrogate, 1e999, a huge or negative number), a key removed, renamed or written twice,
/// two values swapped, a number scaled. Text that does not parse gets <see cref="ByteMutator"/> edits.
/// Values a <see cref="JsonNode"/> cannot hold (a lone surrogate, a duplicate key, 1e999) are put in as
/// placeholders and replaced in the written text.
/// </summary>
public static class JsonMutator
{
    const string Surrogate = "@@lone-surrogate@@", Overflow = "@@overflow@@", Duplicate = "@@duplicate@@";

    static readonly Func<JsonNode?>[] AwkwardValues =
    [
        () => null, () => true, () => "", () => "x", () => Surrogate, () => Overflow, () => -1, () => 0, () => 1,
        () => 2147483648L, () => 3_000_000_000L, () => 2_000_000_000, () => 50_000_000, () => 1e308, () => -1e-300, () => 0.5,
        () => new JsonArray(), () => new JsonObject(), () => new JsonArray((JsonNode?)null), () => new JsonArray(1, 2),
        () => new JsonArray("a", "a"), () => new JsonObject { ["a"] = 1 }, () => new string('x', 2000),
    ];

    public static byte[] Mutate(Random random, byte[] input)
    {
        if (random.Next(10) == 0) return ByteMutator.Mutate(random, input);
        try
        {
            return Structured(random, input);
        }
        // Not JSON, or JSON that a JsonNode cannot hold (invalid UTF-8, a lone surrogate, a key twice: earlier edits).
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return ByteMutator.Mutate(random, input);
        }
    }

    static byte[] Structured(Random random, byte[] input)
    {
        var root = JsonNode.Parse(input, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        if (root is null) return ByteMutator.Mutate(random, input);

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var node = nodes[random.Next(nodes.Count)];
        switch (random.Next(6))
        {
            case 0 or 1:
                Replace(root, node, AwkwardValues[random.Next(AwkwardValues.Length)](), out root);
                break;
            case 2 when node is JsonObject { Count: > 0 } removed:
                removed.Remove(removed.ElementAt(random.Next(removed.Count)).Key);
                break;
            case 3 when node is JsonObject { Count: > 0 } renamed:
                var (key, value) = renamed.ElementAt(random.Next(renamed.Count));
                renamed.Remove(key);
                renamed[random.Next(2) == 0 ? key + "_" : key.ToUpperInvariant() + "x"] = value;
                break;
            case 4 when node is JsonObject { Count: > 0 } twice:
                var (name, original) = twice.ElementAt(random.Next(twice.Count));
                twice[Duplicate + name] = original?.DeepClone();
                break;
            case 5 when node is JsonValue number && number.GetValueKind() == JsonValueKind.Number:
                double scaled = number.GetValue<double>() * Math.Pow(10, random.Next(1, 12)) * (random.Next(2) == 0 ? 1 : -1);
                Replace(root, node, scaled, out root);
                break;
            default:
                var other = nodes[random.Next(nodes.Count)];
                if (!ReferenceEquals(other, node) && !Contains(node, other) && !Contains(other, node))
                {
                    var copy = other.DeepClone();
                    Replace(root, node, copy, out root);
                }
                break;
        }
        string text = root?.ToJsonString() ?? "null";
        text = text.Replace($"\"{Surrogate}\"", "\"\\ud800\"").Replace($"\"{Overflow}\"", "1e999").Replace($"\"{Duplicate}", "\"");
        return Encoding.UTF8.GetBytes(text);
    }

    static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject o) foreach (var (_, child) in o) { if (child is not null) Collect(child, nodes); }
        else if (node is JsonArray a) foreach (var child in a) { if (child is not null) Collect(child, nodes); }
    }

    static bool Contains(JsonNode outer, JsonNode inner)
    {
        for (var p = inner.Parent; p is not null; p = p.Parent)
            if (ReferenceEquals(p, outer)) return true;
        return false;
    }

    /// <summary>Puts <paramref name="replacement"/> where <paramref name="node"/> is; replacing the root gives a new root.</summary>
    static void Replace(JsonNode root, JsonNode node, JsonNode? replacement, out JsonNode? newRoot)
    {
        newRoot = root;
        switch (node.Parent)
        {
            case null: newRoot = replacement; break;
            case JsonObject parent: parent[node.GetPropertyName()] = replacement; break;
            case JsonArray parent: parent[node.GetElementIndex()] = replacement; break;
        }
    }
}
