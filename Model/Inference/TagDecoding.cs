namespace CudaBert.Model.Inference;

/// <summary>How word tags are read off the token head's scores.</summary>
public enum TagDecoding
{
    /// <summary>
    /// The most probable tag sequence that is well-formed BIO: I-X only right after B-X or I-X
    /// (<see cref="BioTagDecoder"/>). The default; a tag set without I- labels has nothing to constrain.
    /// </summary>
    Constrained,

    /// <summary>Each word's most probable tag on its own, even when that makes an I-X follow an O.</summary>
    Argmax,
}

/// <summary>The names of <see cref="TagDecoding"/> on the command line and in config files.</summary>
public static class TagDecodingNames
{
    /// <summary>The name of <see cref="TagDecoding.Constrained"/>, the default.</summary>
    public const string Constrained = "constrained";
    /// <summary>The name of <see cref="TagDecoding.Argmax"/>.</summary>
    public const string Argmax = "argmax";
    /// <summary>Every valid name, default first.</summary>
    public static readonly IReadOnlyList<string> Names = [Constrained, Argmax];

    /// <summary>The decoding named <paramref name="name"/>; a FormatException lists the valid names otherwise.</summary>
    public static TagDecoding Parse(string name) => name switch
    {
        Constrained => TagDecoding.Constrained,
        Argmax => TagDecoding.Argmax,
        _ => throw new FormatException($"'{name}' is not a tag decoding: use {string.Join(" or ", Names)}"),
    };
}
