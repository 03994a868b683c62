using CudaBert.Fuzz;
using CudaBert.Model.Import;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Reliability;

/// <summary>Reading a BERT config off ONNX parameters: shapes that cannot be a BERT's are InvalidDataExceptions naming the parameter.</summary>
public class OnnxInputTests
{
    static readonly OnnxGraphIndex AnyGraph = new(OnnxModelReader.Parse(FuzzSeeds.Onnx, "tiny-linear.onnx").Graph);

    static ImportedTensor Parameter(string name, params long[] shape) => new(name, shape, [], name, Transposed: false);

    static InvalidDataException Refused(params ImportedTensor[] parameters) =>
        Assert.Throws<InvalidDataException>(() => OnnxBertConfigReader.Read(AnyGraph, [Parameter("encoder.layer.0.output.dense.weight", 8, 16), .. parameters]));

    [Fact]
    public void OneDimensionalWordEmbeddingsAreRefused()
    {
        var error = Refused(Parameter("embeddings.word_embeddings.weight", 30));   // not IndexOutOfRangeException
        Assert.Contains("'embeddings.word_embeddings.weight' has shape [30], not a matrix", error.Message);
    }

    [Fact]
    public void AHugePositionDimensionIsRefused()
    {
        var error = Refused(Parameter("embeddings.word_embeddings.weight", 30, 8), Parameter("embeddings.position_embeddings.weight", 3_000_000_000, 0),
            Parameter("embeddings.token_type_embeddings.weight", 2, 8), Parameter("encoder.layer.0.intermediate.dense.weight", 16, 8));
        Assert.Contains("embeddings.position_embeddings.weight", error.Message);   // not OverflowException
    }

    [Fact]
    public void AHugeLayerIndexIsRefused()
    {
        var error = Refused(Parameter("encoder.layer.99999999999.output.dense.weight", 8, 16));   // not OverflowException from int.Parse
        Assert.Contains("99999999999", error.Message);
    }
}
