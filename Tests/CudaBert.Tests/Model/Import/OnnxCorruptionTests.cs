using CudaBert.Model.Import;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Model.Import;

/// <summary>
/// Corrupted ONNX bytes must be parsed and mapped, or refused with an <see cref="InvalidDataException"/>;
/// never another exception, never a huge allocation.
/// </summary>
public class OnnxCorruptionTests
{
    [Fact]
    public void RandomByteCorruptionIsEitherReadOrRefusedCleanly()
    {
        byte[] valid = TinyOnnxFixture.OnnxBytes();
        var random = new System.Random(4321);
        int refused = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int f = 1 + random.Next(3); f > 0; f--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            int length = random.Next(10) == 0 ? random.Next(bytes.Length) : bytes.Length;
            try
            {
                var graph = OnnxModelReader.Parse(bytes.AsMemory(0, length), "corrupted.onnx").Graph;
                OnnxBertWeightMapper.Map(new OnnxGraphIndex(graph));
            }
            catch (InvalidDataException)
            {
                refused++;
            }
        }
        Assert.True(refused > 500, $"only {refused} of 2000 corruptions were refused; the test is not exercising the reader");
    }
}
