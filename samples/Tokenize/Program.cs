using CudaBert.Tokenizer;

namespace CudaBert.Samples.Tokenize;

/// <summary>
/// BERT WordPiece tokenization with a vocabulary file (one token per line, as bert-base-uncased's
/// <c>vocab.txt</c>): the tokens of a text with their ids, word indices and character offsets, then a
/// padded batch as a model takes it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Tokenize VOCAB_FILE TEXT [TEXT ...]");
            return 2;
        }
        Run(args[0], args[1..]);
        return 0;
    }

    /// <summary>Prints the first text's tokens and returns the batch of all texts padded to the longest.</summary>
    public static BatchEncoding Run(string vocabFile, IReadOnlyList<string> texts)
    {
        // region: tokenize
        var tokenizer = BertTokenizer.FromVocabFile(vocabFile);              // uncased, as bert-base-uncased
        string text = texts[0];
        TokenEncoding e = tokenizer.Encode(text);                             // [CLS] … [SEP]
        for (int i = 0; i < e.Length; i++)
        {
            TokenOffset o = e.Offsets[i];                                     // UTF-16 [Start, End) into text; (0, 0) for [CLS]/[SEP]
            Console.WriteLine($"{e.TokenAt(i),-10} id {e.Ids[i],5}  word {e.WordIds[i],2}  \"{text[o.Start..o.End]}\"");
        }

        var batching = new BertTokenizer(tokenizer.Vocabulary) { Padding = PaddingOptions.Longest, Truncation = new TruncationOptions(128) };
        BatchEncoding batch = batching.EncodeBatch(texts);                    // row-major [BatchSize, SequenceLength] ids and masks
        Console.WriteLine($"batch: {batch.BatchSize} × {batch.SequenceLength}, mask of the first row: {string.Join("", batch.AttentionMask[..batch.SequenceLength])}");
        // endregion
        return batch;
    }
}
