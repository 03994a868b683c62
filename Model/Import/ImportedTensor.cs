namespace CudaBert.Model.Import;

/// <summary>
/// A parameter produced by an import: its Hugging Face name, PyTorch-layout shape and float32 values,
/// and where it came from (the ONNX initializer, and whether it was transposed on the way).
/// </summary>
public sealed record ImportedTensor(string Name, long[] Shape, float[] Values, string SourceInitializer, bool Transposed);

/// <summary>An ONNX initializer that the import deliberately did not turn into a parameter, and why.</summary>
public sealed record SkippedInitializer(string Name, string Reason);
