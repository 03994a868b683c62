using System.Text;

namespace CudaBert.Fuzz.Mutators;

/// <summary>
/// Edits of a line-oriented text file (vocab.txt, seq.in, CoNLL, label files, JSON lines): a line
/// removed, repeated, swapped, split or joined, or an awkward line or word put in. JSON lines also get
/// one line rewritten by <see cref="JsonMutator"/>.
/// </summary>
public static class LineMutator
{
    static readonly string[] AwkwardLines =
    [
        "", " ", "\t", "\r", "-DOCSTART- -X- O", "A", "A A", "O", "B-x I-y", "word", "word O extra", "[CLS]", "[UNK]", "##",
        "\u0000", "\uFEFF", "é", "\u3000", "\u200B", "𝔘", new string('a', 5000), string.Join(' ', Enumerable.Repeat("w", 3000)),
    ];

    public static byte[] Mutate(Random random, byte[] input, bool jsonLines = false)
    {
        var lines = Split(input);
        int Line() => random.Next(lines.Count);
        switch (random.Next(jsonLines ? 9 : 8))
        {
            case 0 when lines.Count > 0: lines.RemoveAt(Line()); break;
            case 1 when lines.Count > 0: lines.Insert(Line(), lines[Line()]); break;
            case 2 when lines.Count > 1:
                int a = Line(), b = Line();
                (lines[a], lines[b]) = (lines[b], lines[a]);
                break;
            case 3: lines.Insert(random.Next(lines.Count + 1), Encoding.UTF8.GetBytes(AwkwardLines[random.Next(AwkwardLines.Length)])); break;
            case 4 when lines.Count > 0:
                int word = Line();
                var words = Encoding.UTF8.GetString(lines[word]).Split(' ').ToList();
                words[random.Next(words.Count)] = AwkwardLines[random.Next(AwkwardLines.Length)];
                lines[word] = Encoding.UTF8.GetBytes(string.Join(' ', words));
                break;
            case 5 when lines.Count > 1:
                int join = random.Next(lines.Count - 1);
                lines[join] = [.. lines[join], (byte)' ', .. lines[join + 1]];
                lines.RemoveAt(join + 1);
                break;
            case 6 when lines.Count > 0:
                int bad = Line();
                lines[bad] = [.. lines[bad], 0xC3];   // a UTF-8 sequence cut short
                break;
            case 8 when lines.Count > 0:
                int json = Line();
                lines[json] = JsonMutator.Mutate(random, lines[json]);
                break;
            default:
                int target = lines.Count == 0 ? -1 : Line();
                if (target < 0) lines.Add(ByteMutator.Mutate(random, []));
                else lines[target] = ByteMutator.Mutate(random, lines[target]);
                break;
        }
        return Join(lines);
    }

    static List<byte[]> Split(byte[] bytes)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != '\n') continue;
            lines.Add(bytes[start..i]);
            start = i + 1;
        }
        return lines;
    }

    static byte[] Join(List<byte[]> lines)
    {
        var joined = new List<byte>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0) joined.Add((byte)'\n');
            joined.AddRange(lines[i]);
        }
        return [.. joined];
    }
}
