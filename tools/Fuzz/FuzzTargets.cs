using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Data;
using CudaBert.Model.Import;
using CudaBert.Model.Import.Onnx;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Fuzz;

/// <summary>
/// Every parser the fuzzer feeds, each with its seed and the exceptions its documentation promises.
/// A parse goes as far as the product goes with the input: weights are read, a tokenizer encodes a
/// text, a checkpoint predicts.
/// </summary>
public static class FuzzTargets
{
    const string Config = "config.json", Weights = "model.safetensors", Vocab = "vocab.txt", TokenizerFile = "tokenizer.json";

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("safetensors", One(Weights, FuzzSeeds.Checkpoint[Weights]), folder =>
        {
            using var file = SafetensorsFile.Open(Path.Combine(folder, Weights));
            foreach (var tensor in file.Tensors)
                if (tensor.DType.IsFloating()) file.ReadFloat32(tensor.Name);
                else file.ReadInt64(tensor.Name);
        }, e => e is SafetensorsFormatException),

        new("config.json", One(Config, FuzzSeeds.Checkpoint[Config]), folder => BertConfig.Load(Path.Combine(folder, Config)).ToJson(),
            e => e is InvalidDataException),

        new("vocab.txt", One(Vocab, FuzzSeeds.Checkpoint[Vocab]), folder =>
            new BertTokenizer(Vocabulary.ReadFile(Path.Combine(folder, Vocab))).Encode("turn on the lights, UNAFFABLE [CLS] x", "play music"),
            e => e is TokenizerFormatException),

        // ArgumentException: a truncation strategy that this pair of texts cannot satisfy (as Hugging Face, an error at encoding time).
        new("tokenizer.json", One(TokenizerFile, FuzzSeeds.TokenizerJson), folder =>
        {
            var tokenizer = TokenizerJson.Load(Path.Combine(folder, TokenizerFile));
            tokenizer.Encode("turn on the lights, UNAFFABLE [CLS] x");
            tokenizer.Encode("turn on", "the lights");
        }, e => e is TokenizerFormatException or ArgumentException),

        // The seed is not a BERT, so the graph is read and its weights mapped and decoded, the step before
        // the config is read off it (whose shape checks have regression tests of their own).
        new("onnx", One("model.onnx", FuzzSeeds.Onnx), folder =>
        {
            string path = Path.Combine(folder, "model.onnx");
            var graph = OnnxModelReader.Parse(File.ReadAllBytes(path), path).Graph;
            OnnxBertWeightMapper.Map(new OnnxGraphIndex(graph));
            foreach (var tensor in graph.Initializers)
                if (tensor.DataType == OnnxDataType.Int64) tensor.ToInt64();
                else tensor.ToFloat32();
        }, e => e is InvalidDataException),

        // ArgumentException: every training example was removed ("no training data").
        new("jointbert", FuzzSeeds.JointBertFolder, folder => TrainingData.Load(new TrainingOptions { Data = folder }),
            e => e is DataFormatException or ArgumentException),

        new("conll", One("data.conll", FuzzSeeds.Conll), folder => ConllReader.Read(Path.Combine(folder, "data.conll")),
            e => e is DataFormatException),

        new("jsonl", One("data.jsonl", FuzzSeeds.JsonLines), folder => JsonLinesReader.Read(Path.Combine(folder, "data.jsonl")),
            e => e is DataFormatException),

        new("training-config", One("train.json", FuzzSeeds.TrainingConfig), folder => TrainingOptions.ReadFile(Path.Combine(folder, "train.json")),
            e => e is FormatException),

        new("checkpoint", FuzzSeeds.Checkpoint, folder =>
        {
            using var pipeline = TwoTaskPipeline.Load(folder, maxLength: 16);
            pipeline.Predict(["turn on the lights", "play some music please"]);
            Checkpoint.LoadState(folder);
            using var optimizer = new AdamW(pipeline.Model.Parameters());
            Checkpoint.LoadOptimizer(folder, pipeline.Model, optimizer);
        }, e => e is InvalidDataException or SafetensorsFormatException or TokenizerFormatException or DataFormatException),
    ];

    static Dictionary<string, byte[]> One(string name, byte[] bytes) => new() { [name] = bytes };
}
