namespace CudaBert.Model.Bert;

/// <summary>
/// What loading a checkpoint into a model did: which parameters were filled (model name → checkpoint
/// name), which parameters the checkpoint lacked, and which checkpoint tensors nothing used.
/// </summary>
public sealed record WeightLoadReport(
    string Path,
    IReadOnlyList<(string Parameter, string Tensor)> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected)
{
    /// <summary>Fails, listing them, when any parameter other than those <paramref name="mayBeMissing"/> accepts was not in the checkpoint.</summary>
    public void ThrowIfMissing(Func<string, bool>? mayBeMissing = null)
    {
        var missing = Missing.Where(name => mayBeMissing is null || !mayBeMissing(name)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"'{Path}' lacks {missing.Count} parameter(s) of the model: {string.Join(", ", missing)}");
    }
}
