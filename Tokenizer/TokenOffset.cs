namespace CudaBert.Tokenizer;

/// <summary>
/// Where a token came from in the original .NET string: UTF-16 indices [Start, End). Special and
/// padding tokens have (0, 0). Hugging Face counts Unicode scalar values instead; the two agree
/// until the first character outside the Basic Multilingual Plane (an emoji, a CJK extension
/// ideograph), after which ours are larger by the number of such characters before the index.
/// </summary>
public readonly record struct TokenOffset(int Start, int End)
{
    public int Length => End - Start;

    public override string ToString() => $"({Start}, {End})";
}
