namespace CudaBert.Tokenizer;

/// <summary>A vocabulary or <c>tokenizer.json</c> that is malformed or asks for something we do not support.</summary>
public sealed class TokenizerFormatException(string message) : Exception(message);
