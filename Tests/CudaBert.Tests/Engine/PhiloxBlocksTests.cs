using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>The four-lane Philox of the CPU dropout against the scalar <see cref="Philox"/> (itself checked against the paper's known-answer vectors).</summary>
public class PhiloxBlocksTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(9UL, 12345UL)]
    [InlineData(0xDEAD_BEEF_0123_4567UL, 0xFFFF_FFFEUL)]              // lanes carry into the counter's high word
    [InlineData(ulong.MaxValue, 0x1234_5678_FFFF_FFFFUL)]
    public void EqualsFourScalarBlocks(ulong seed, ulong firstBlock)
    {
        var words = new uint[PhiloxBlocks.Words];
        PhiloxBlocks.Generate(seed, firstBlock, words);
        for (int j = 0; j < PhiloxBlocks.Count; j++)
        {
            var (x0, x1, x2, x3) = Philox.Block(seed, firstBlock + (ulong)j);
            Assert.Equal([x0, x1, x2, x3], words.AsSpan(4 * j, 4).ToArray());
        }
    }

    [Theory]
    [InlineData(0UL, 64)]
    [InlineData(7UL, 101)]       // starts inside a block and inside a group of four blocks
    [InlineData(13UL, 70_001)]   // large enough to be split over threads at odd boundaries
    public void DropoutKeepsExactlyThePositionsWhoseUniformIsAtLeastP(ulong offset, int length)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Ones(new Shape(length));
        var y = Ops.Dropout(x, 0.3, seed: 21, offset: offset).ToArray<float>();
        for (int i = 0; i < length; i++)
            Assert.Equal(Philox.ToUniform(Philox.Word(21, offset + (ulong)i)) >= 0.3f, y[i] != 0);
    }
}
