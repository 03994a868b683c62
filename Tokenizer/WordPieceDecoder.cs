using System.Text;

namespace CudaBert.Tokenizer;

/// <summary>Hugging Face's WordPiece decoder with <c>cleanup = true</c>.</summary>
internal static class WordPieceDecoder
{
    // Applied in this order to each token (with its leading space), as Hugging Face does.
    static readonly (string Dirty, string Clean)[] cleanups =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    public static string Decode(IEnumerable<string> tokens, string prefix)
    {
        var text = new StringBuilder();
        int index = 0;
        foreach (string token in tokens)
        {
            string piece = index++ == 0 ? token
                : token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..]
                : " " + token;
            foreach (var (dirty, clean) in cleanups) piece = piece.Replace(dirty, clean, StringComparison.Ordinal);
            text.Append(piece);
        }
        return text.ToString();
    }
}
