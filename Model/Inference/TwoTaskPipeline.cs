using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Import;
using CudaBert.Model.Metrics;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Inference;

/// <summary>An entity found in a text: its type, its text and its UTF-16 character span [Start, End).</summary>
public sealed record PredictedEntity(string Type, string Text, int Start, int End);

/// <summary>What <c>cudabert predict</c> prints for one text.</summary>
public sealed record TextPrediction(string Text, string Intent, double Probability, IReadOnlyList<PredictedEntity> Entities);

/// <summary>
/// A trained checkpoint ready to use: the model, its tokenizer and its label sets, loaded from a
/// checkpoint folder written by the trainer.
/// </summary>
public sealed class TwoTaskPipeline : IDisposable
{
    TwoTaskPipeline(MultiTaskBert model, BatchCollator collator)
    {
        Model = model;
        Collator = collator;
        UseCudaGraphs(CudaGraphSteps.Auto);
    }

    /// <summary>The trained model, on the device the pipeline was loaded for; disposed with the pipeline.</summary>
    public MultiTaskBert Model { get; }
    /// <summary>The checkpoint's tokenizer and label sets, truncating to the pipeline's maximum length.</summary>
    public BatchCollator Collator { get; }

    /// <summary>
    /// Loads a checkpoint (its weights are read on the host) and moves the model to <paramref name="device"/>,
    /// where it then predicts. <paramref name="checkpoint"/> is a checkpoint folder, or a training run's
    /// output folder for its newest checkpoint (<see cref="RunCheckpoints.Resolve"/>).
    /// </summary>
    public static TwoTaskPipeline Load(string checkpoint, int maxLength = 128, Device device = Device.Cpu)
    {
        checkpoint = RunCheckpoints.Resolve(checkpoint);
        var (sentenceLabels, tokenLabels) = Checkpoint.LoadLabels(checkpoint);
        var tokenizer = HuggingFaceModelFolder.LoadTokenizer(checkpoint);
        var model = MultiTaskBert.Load(checkpoint);
        if (tokenizer.Vocabulary.Count > model.Config.VocabSize)
        {
            model.Dispose();
            throw new InvalidDataException($"{checkpoint}: the tokenizer has {tokenizer.Vocabulary.Count} tokens but the model's vocab_size is {model.Config.VocabSize}: ids past it have no embedding");
        }
        if (model.NumSentenceLabels != sentenceLabels.Count || model.NumTokenLabels != tokenLabels.Count)
        {
            model.Dispose();
            throw new InvalidDataException($"{checkpoint}: the model has {model.NumSentenceLabels} sentence and {model.NumTokenLabels} token labels, the label files {sentenceLabels.Count} and {tokenLabels.Count}");
        }
        model.To(device);
        return new TwoTaskPipeline(model, new BatchCollator(tokenizer, sentenceLabels, tokenLabels, Math.Min(maxLength, model.Config.MaxPositionEmbeddings)));
    }

    /// <summary>
    /// How the Linear layers' products compute in <see cref="Evaluate"/> and <see cref="Predict"/> (fp32 when loaded).
    /// <see cref="MatmulPrecision.Bf16"/> scores a checkpoint as the trainer's evaluations of a <c>--precision bf16</c> run
    /// scored it: bfloat16 operands, fp32 accumulation, from each Linear weight's bfloat16 copy, made here when the
    /// precision is set (in training AdamW keeps it); <see cref="MatmulPrecision.Tf32"/> runs the GPU's TF32 kernels.
    /// Setting it starts the CUDA graphs afresh, since a graph replays the precision it was captured in.
    /// </summary>
    public MatmulPrecision Precision
    {
        get => _precision;
        set
        {
            _precision = value;
            if (value == MatmulPrecision.Bf16)
                foreach (var linear in Model.Modules().OfType<Linear>()) linear.Weight.EnsureBFloat16Copy();
            UseCudaGraphs(_graphsMode);
        }
    }
    MatmulPrecision _precision;

    /// <summary>How word tags are read off the token head (default: well-formed BIO, <see cref="BioTagDecoder"/>).</summary>
    public TagDecoding TagDecoding { get; set; } = TagDecoding.Constrained;

    /// <summary>
    /// Predicts <paramref name="examples"/> (with <see cref="TagDecoding"/>) in batches of <paramref name="batchSize"/>
    /// and scores them against their own labels: intent accuracy and macro-F1, entity F1, exact-frame accuracy.
    /// </summary>
    public JointScores Evaluate(IReadOnlyList<TwoTaskExample> examples, int batchSize = 32) =>
        EvaluateWithErrors(examples, batchSize).Scores;

    /// <summary>
    /// <see cref="Evaluate"/>, and the examples it got wrong (<see cref="PredictionError"/>, in data order) from the
    /// same predictions.
    /// </summary>
    public (JointScores Scores, List<PredictionError> Errors) EvaluateWithErrors(IReadOnlyList<TwoTaskExample> examples, int batchSize = 32)
    {
        var predictions = PredictExamples(examples, batchSize);
        var intents = predictions.Select(p => p.SentenceLabel).ToArray();
        var tags = predictions.Select(p => (IReadOnlyList<string>)p.WordTags).ToArray();
        return (JointScores.Compute(examples, intents, tags), PredictionError.Find(examples, intents, tags));
    }

    /// <summary>The forward pass as CUDA graphs, one per batch shape (<see cref="UseCudaGraphs"/>); null when it runs eagerly.</summary>
    public CudaGraphForward? CudaGraphs { get; private set; }

    /// <summary>Why the forward pass runs eagerly (graphs off, the CPU, a failed capture); null while CUDA graphs are used.</summary>
    public string? CudaGraphsOffBecause => CudaGraphs is null ? _graphsOffBecause : CudaGraphs.EagerBecause;
    string? _graphsOffBecause;
    string _graphsMode = CudaGraphSteps.Auto;

    /// <summary>
    /// Runs the forward passes of <see cref="Evaluate"/> and <see cref="Predict"/> as CUDA graphs in <paramref name="mode"/>
    /// (<see cref="CudaGraphSteps.Modes"/>; <c>auto</c> when loaded): <c>on</c> fails here for a model on the CPU.
    /// </summary>
    public void UseCudaGraphs(string mode)
    {
        CudaGraphs?.Dispose();
        CudaGraphs = TwoTaskPredictor.CudaGraphs(Model, mode, out _graphsOffBecause);
        _graphsMode = mode;
    }

    /// <summary>The model's predictions in <see cref="Precision"/>, with <see cref="TagDecoding"/> and the CUDA graphs if any.</summary>
    List<TwoTaskPrediction> PredictExamples(IReadOnlyList<TwoTaskExample> examples, int batchSize)
    {
        using var precision = MatmulPrecisionMode.Use(Precision);
        return TwoTaskPredictor.Predict(Model, Collator, examples, batchSize, TagDecoding, CudaGraphs);
    }

    /// <summary>Intent, its probability and the entities of each text (words are split on whitespace).</summary>
    public List<TextPrediction> Predict(IReadOnlyList<string> texts, int batchSize = 32)
    {
        var words = texts.Select(WordSpans).ToArray();
        var examples = texts.Select((t, i) => new TwoTaskExample(words[i].Select(w => t[w.Start..w.End]).ToArray(), null, null, "input", i + 1)).ToArray();
        var results = new List<TextPrediction>(texts.Count);
        var nonEmpty = examples.Where(e => e.Words.Length > 0).ToArray();
        var predictions = nonEmpty.Length == 0 ? [] : PredictExamples(nonEmpty, batchSize);
        int next = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            if (examples[i].Words.Length == 0)
            {
                results.Add(new TextPrediction(texts[i], "", 0, []));
                continue;
            }
            var p = predictions[next++];
            var entities = IobChunker.Chunks(p.WordTags)
                .Select(e => (e.Type, Start: words[i][e.Start].Start, End: words[i][e.End].End))
                .Select(e => new PredictedEntity(e.Type, texts[i][e.Start..e.End], e.Start, e.End))
                .ToArray();
            results.Add(new TextPrediction(texts[i], p.SentenceLabel, p.SentenceProbability, entities));
        }
        return results;
    }

    /// <summary>
    /// Positions (0-based) of the examples that encode to more than <see cref="BatchCollator.MaxLength"/>
    /// tokens, [CLS] and [SEP] included: the model sees only their beginning.
    /// </summary>
    public IReadOnlyList<int> Truncated(IReadOnlyList<TwoTaskExample> examples)
    {
        var whole = new BertTokenizer(Collator.Tokenizer.Vocabulary, Collator.Tokenizer.Options);
        return Enumerable.Range(0, examples.Count).Where(i => whole.EncodeWords(examples[i].Words).Length > Collator.MaxLength).ToList();
    }

    /// <summary>Positions of the texts (split into words as <see cref="Predict"/> does) that are too long, as <see cref="Truncated(IReadOnlyList{TwoTaskExample})"/>.</summary>
    public IReadOnlyList<int> Truncated(IReadOnlyList<string> texts) =>
        Truncated(texts.Select((t, i) => new TwoTaskExample(WordSpans(t).Select(w => t[w.Start..w.End]).ToArray(), null, null, "input", i + 1)).ToList());

    /// <summary>UTF-16 spans of the whitespace-separated words of a text.</summary>
    static (int Start, int End)[] WordSpans(string text)
    {
        var spans = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            if (i > start) spans.Add((start, i));
        }
        return [.. spans];
    }

    /// <summary>Frees the CUDA graphs and the model's parameters (and their device memory).</summary>
    public void Dispose()
    {
        CudaGraphs?.Dispose();
        Model.Dispose();
    }
}
