using CudaBert.Model.Import;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Model.Import;

public class OnnxBertWeightMapperTests
{
    [Fact]
    public void AnonymousMatMulWeightTakesItsBiasNameAndIsTransposed()
    {
        var graph = OnnxModelReader.Parse(TinyOnnxFixture.OnnxBytes(), "tiny-linear.onnx").Graph;
        var (parameters, skipped) = OnnxBertWeightMapper.Map(new OnnxGraphIndex(graph));

        var weight = parameters.Single(p => p.Name == "layer.dense.weight");
        Assert.Equal("17", weight.SourceInitializer);
        Assert.True(weight.Transposed);
        Assert.Equal([2L, 3L], weight.Shape);
        float[] stored = graph.Initializers.Single(t => t.Name == "17").ToFloat32(); // [3, 2], in-major
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 3; i++)
                Assert.Equal(stored[i * 2 + o], weight.Values[o * 3 + i]);

        var embedding = parameters.Single(p => p.Name == "emb.weight");
        Assert.False(embedding.Transposed);
        Assert.Equal(graph.Initializers.Single(t => t.Name == "emb.weight").ToFloat32(), embedding.Values);

        Assert.Equal(["emb.weight", "layer.dense.bias", "layer.dense.weight"], parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        var constant = Assert.Single(skipped);
        Assert.Equal("shape_const", constant.Name);
        Assert.Contains("Reshape", constant.Reason);
    }

    [Fact]
    public void AnonymousWeightWithoutABiasAddIsAnError()
    {
        var graph = OnnxModelReader.Parse(TinyOnnxFixture.OnnxBytes(), "tiny-linear.onnx").Graph;
        // Rewire the Add to read the bias from a graph value instead of a named initializer.
        var nodes = graph.Nodes.Select(n => n.OpType == "Add" ? n with { Inputs = ["half", "m"] } : n).ToList();
        var error = Assert.Throws<InvalidDataException>(() => OnnxBertWeightMapper.Map(new OnnxGraphIndex(graph with { Nodes = nodes })));
        Assert.Contains("ONNX initializer '17'", error.Message);
        Assert.Contains("has no named bias initializer", error.Message);
    }
}
