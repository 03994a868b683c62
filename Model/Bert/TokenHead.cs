namespace CudaBert.Model.Bert;

/// <summary>What sits on top of the token classifier's per-token scores.</summary>
public enum TokenHead
{
    /// <summary>Nothing: each word's tag is scored on its own (cross-entropy on its first sub-token). The default.</summary>
    Linear,

    /// <summary>
    /// A linear-chain CRF over the words' tags (<see cref="CudaBert.Engine.Nn.LinearChainCrf"/>): the
    /// classifier's scores of each word's first sub-token are the emissions, learned transition scores
    /// tie neighbouring tags together, the loss is the negative log-likelihood of the whole tag sequence
    /// and predictions are the best path (Viterbi).
    /// </summary>
    Crf,
}

/// <summary>The names of <see cref="TokenHead"/> on the command line, in config files and in a checkpoint's config.json.</summary>
public static class TokenHeadNames
{
    /// <summary>The name of <see cref="TokenHead.Linear"/>, the default.</summary>
    public const string Linear = "linear";
    /// <summary>The name of <see cref="TokenHead.Crf"/>.</summary>
    public const string Crf = "crf";
    /// <summary>Every valid name, default first.</summary>
    public static readonly IReadOnlyList<string> Names = [Linear, Crf];

    /// <summary>The head named <paramref name="name"/>; a FormatException lists the valid names otherwise.</summary>
    public static TokenHead Parse(string name) => name switch
    {
        Linear => TokenHead.Linear,
        Crf => TokenHead.Crf,
        _ => throw new FormatException($"'{name}' is not a token head: use {string.Join(" or ", Names)}"),
    };

    /// <summary>The name of <paramref name="head"/>.</summary>
    public static string NameOf(TokenHead head) => head == TokenHead.Crf ? Crf : Linear;
}
