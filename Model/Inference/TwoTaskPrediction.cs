using CudaBert.Tokenizer;

namespace CudaBert.Model.Inference;

/// <summary>
/// The model's answer for one text: the sentence label with its softmax probability, and one tag
/// per input word (the prediction of the word's first sub-token; "O" for a word truncated away).
/// </summary>
public sealed record TwoTaskPrediction(string SentenceLabel, double SentenceProbability, string[] WordTags, TokenEncoding Encoding);
