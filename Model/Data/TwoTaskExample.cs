namespace CudaBert.Model.Data;

/// <summary>
/// One training or evaluation example of the two-task model: whitespace-separated words and the
/// labels it has. Either label may be missing (a sentence-only or a tag-only example); a batch's
/// missing task contributes no loss. <see cref="Source"/> and <see cref="Line"/> say where it came
/// from, for error messages.
/// </summary>
public sealed record TwoTaskExample(string[] Words, string? SentenceLabel, string[]? Tags, string Source, int Line)
{
    public string Text => string.Join(' ', Words);
    public bool HasSentenceLabel => SentenceLabel is not null;
    public bool HasTags => Tags is not null;
}
