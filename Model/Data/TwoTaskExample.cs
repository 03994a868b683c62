namespace CudaBert.Model.Data;

/// <summary>
/// One training or evaluation example of the two-task model: whitespace-separated words and the
/// labels it has. Either label may be missing (a sentence-only or a tag-only example); a batch's
/// missing task contributes no loss. <see cref="Source"/> and <see cref="Line"/> say where it came
/// from, for error messages.
/// </summary>
public sealed record TwoTaskExample(string[] Words, string? SentenceLabel, string[]? Tags, string Source, int Line)
{
    /// <summary>The words joined by single spaces.</summary>
    public string Text => string.Join(' ', Words);
    /// <summary>True when the example carries a sentence label (takes part in the sentence task).</summary>
    public bool HasSentenceLabel => SentenceLabel is not null;
    /// <summary>True when the example carries one tag per word (takes part in the token task).</summary>
    public bool HasTags => Tags is not null;
}
