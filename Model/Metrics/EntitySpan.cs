namespace CudaBert.Model.Metrics;

/// <summary>A labelled span of words: type plus inclusive start and end word indices (seqeval's chunk tuple).</summary>
public readonly record struct EntitySpan(string Type, int Start, int End);
