using System.Text;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>
/// Property tests: any string at all (lone surrogates, every code point, random UTF-16, huge
/// inputs) encodes without an exception into a well-formed encoding.
/// </summary>
public class NeverThrowsTests
{
    static readonly BertTokenizer uncased = new(MiniLmVocabulary.Shared);
    static readonly BertTokenizer cased = new(MiniLmVocabulary.Shared, BertTokenizerOptions.Cased);

    /// <summary>The invariants every encoding of <paramref name="text"/> (and <paramref name="pair"/>) must hold.</summary>
    static void AssertWellFormed(TokenEncoding e, string text, string? pair = null)
    {
        string? problem = FirstProblem(e, text, pair);
        Assert.True(problem is null, $"{problem} (text of {text.Length} chars starting '{text[..Math.Min(40, text.Length)]}')");
    }

    // Plain checks rather than an Assert per token: the inputs here have millions of tokens.
    static string? FirstProblem(TokenEncoding e, string text, string? pair)
    {
        int n = e.Length;
        if (new[] { e.TypeIds.Length, e.AttentionMask.Length, e.SpecialTokensMask.Length, e.WordIds.Length, e.SequenceIds.Length, e.Offsets.Length }.Any(l => l != n))
            return "the lists have different lengths";
        if (n < 2 || e.TokenAt(0) != "[CLS]" || e.TokenAt(n - 1) != "[SEP]") return "not [CLS] ... [SEP]";
        int previousWord = -1, previousEnd = 0, previousSequence = 0;
        for (int i = 0; i < n; i++)
        {
            if (e.Ids[i] < 0 || e.Ids[i] >= MiniLmVocabulary.Shared.Count) return $"token {i}: id {e.Ids[i]} outside the vocabulary";
            if (e.AttentionMask[i] != 1) return $"token {i}: attention mask {e.AttentionMask[i]}";
            var offset = e.Offsets[i];
            if (e.SpecialTokensMask[i] == 1)
            {
                if (e.WordIds[i] != TokenEncoding.None || offset != new TokenOffset(0, 0)) return $"special token {i} has a word or an offset";
                continue;
            }
            int sequence = e.SequenceIds[i];
            if (sequence != previousSequence) (previousWord, previousEnd, previousSequence) = (-1, 0, sequence);
            string source = sequence == 0 ? text : pair!;
            if (offset.Start < 0 || offset.End <= offset.Start || offset.End > source.Length) return $"token {i}: offset {offset} outside 0..{source.Length}";
            if (offset.Start < previousEnd && e.WordIds[i] != previousWord) return $"token {i}: a new word starts at {offset.Start}, before the previous token's end {previousEnd}";
            if (e.WordIds[i] != previousWord && e.WordIds[i] != previousWord + 1) return $"token {i}: word id {e.WordIds[i]} after {previousWord}";
            if (offset.Start > 0 && char.IsLowSurrogate(source[offset.Start]) && char.IsHighSurrogate(source[offset.Start - 1])) return $"token {i} starts inside a surrogate pair";
            (previousWord, previousEnd) = (e.WordIds[i], offset.End);
        }
        return null;
    }

    [Fact]
    public void EveryCodePointAloneAndInsideAWord()
    {
        var text = new StringBuilder();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            text.Append('a').Append(char.ConvertFromUtf32(cp));
            if (text.Length < 4096) continue;
            string s = text.Append('b').ToString();
            AssertWellFormed(uncased.Encode(s), s);
            AssertWellFormed(cased.Encode(s), s);
            text.Clear();
        }
    }

    [Fact]
    public void LoneSurrogatesReadAsReplacementCharacters()
    {
        // Hugging Face only ever sees valid Unicode: a UTF-8 encoder (and Node's string
        // conversion) turns a lone surrogate into U+FFFD, which clean-text drops.
        string[] texts = ["x\uD800y", "x\uDC00y", "\uDBFF", "\uDC00\uD800", "a \uD83D b \uDE00 c", "\uD83D\uDE00\uD83D"];
        foreach (string text in texts)
        {
            string replaced = string.Concat(text.EnumerateRunes().Select(r => r.ToString()));
            var e = uncased.Encode(text);
            AssertWellFormed(e, text);
            Assert.Equal(uncased.Encode(replaced).Ids, e.Ids);
            Assert.Equal(uncased.Encode(replaced).Offsets, e.Offsets);
        }
        Assert.Equal(["[CLS]", "x", "##y", "[SEP]"], uncased.Encode("x\uD800y").Tokens);
    }

    [Fact]
    public void RandomUtf16Strings()
    {
        var random = new Random(20241126);
        for (int round = 0; round < 1000; round++)
        {
            int length = random.Next(0, 200);
            var chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                chars[i] = random.Next(10) switch
                {
                    0 => (char)random.Next(0xD800, 0xE000),          // surrogates, paired or not
                    1 => (char)random.Next(0, 0x80),                 // ASCII incl. controls
                    2 => " [MASK]"[random.Next(7)],                  // pieces of special tokens
                    3 => (char)random.Next(0x4E00, 0xA000),          // CJK
                    4 => (char)random.Next(0x300, 0x370),            // combining accents
                    _ => (char)random.Next(0, 0x10000),
                };
            }
            string text = new(chars);
            string pair = new(chars.Reverse().ToArray());
            AssertWellFormed(uncased.Encode(text), text);
            AssertWellFormed(cased.Encode(text, pair), text, pair);
            var truncating = new BertTokenizer(MiniLmVocabulary.Shared) { Truncation = new TruncationOptions(random.Next(3, 40)), Padding = PaddingOptions.Fixed(48) };
            var truncated = truncating.Encode(text, pair);
            Assert.Equal(48, truncated.Length);
        }
    }

    [Fact]
    public void TenMegabyteInputs()
    {
        const int size = 10 << 20;
        var random = new Random(7);
        string words = string.Create(size, random, (span, r) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = r.Next(6) == 0 ? ' ' : (char)('a' + r.Next(26));
        });
        string[] texts =
        [
            words,
            new string('a', size),                                    // one word far over 100 chars
            new string('\uD800', size),                               // only lone surrogates: all dropped
            string.Concat(Enumerable.Repeat("[MASK]", 1 << 16)),      // only special tokens
            new string('\u0301', 1 << 20),                            // only accents: all dropped
            new string('中', 1 << 20),                                // one word per character
        ];
        var ids = new int[128];
        foreach (string text in texts)
        {
            var e = uncased.Encode(text);
            AssertWellFormed(e, text);
            Assert.InRange(uncased.EncodeIds(text, ids), 2, 128);
        }
        Assert.Equal(3, uncased.Encode(new string('a', size)).Length);
    }
}
