namespace CudaBert.Tokenizer;

/// <summary>
/// Where a token came from in the original .NET string: UTF-16 indices [Start, End). Special and
/// padding tokens have (0, 0). Hugging Face counts Unicode scalar values instead; the two agree
/// until the first character outside the Basic Multilingual Plane (an emoji, a CJK extension
/// ideograph), after which ours are larger by the number of such characters before the index.
/// </summary>
/// <param name="Start">UTF-16 index of the token's first character in the original string.</param>
/// <param name="End">UTF-16 index just past the token's last character.</param>
public readonly record struct TokenOffset(int Start, int End)
{
    /// <summary>Number of UTF-16 code units the token covers (0 for special and padding tokens).</summary>
    public int Length => End - Start;

    /// <summary>The offsets as <c>(start, end)</c>, the way Hugging Face prints them.</summary>
    public override string ToString() => $"({Start}, {End})";
}
