using System.Text.Json;
using CudaBert.Tokenizer;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Samples.OnnxPredict;

/// <summary>
/// Runs a model exported by <c>cudabert export --format onnx</c> in ONNX Runtime, with no CudaBert code
/// but the tokenizer: prints the intent of one text.
/// <c>dotnet run --project samples/OnnxPredict -- model.onnx exported/encoder/tokenizer.json "play some music by queen"</c>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: OnnxPredict MODEL.onnx TOKENIZER.json TEXT");
            return 2;
        }
        Console.WriteLine(Run(args[0], args[1], args[2]));
        return 0;
    }

    /// <summary>The intent the ONNX graph at <paramref name="modelPath"/> gives <paramref name="text"/>.</summary>
    public static string Run(string modelPath, string tokenizerPath, string text)
    {
        // region: onnx
        var tokenizer = BertTokenizer.FromTokenizerJson(tokenizerPath);
        var encoding = tokenizer.Encode(text);
        long[] shape = [1, encoding.Length];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(encoding.Ids.Select(i => (long)i).ToArray(), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(encoding.AttentionMask.Select(m => (long)m).ToArray(), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(encoding.TypeIds.Select(t => (long)t).ToArray(), shape);

        using var session = new InferenceSession(modelPath);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = types };
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, ["sentence_logits", "token_logits"]);
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var intents = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["sentence_labels"])!;
        string intent = intents[Array.IndexOf(logits, logits.Max())];
        // endregion
        return intent;
    }
}
