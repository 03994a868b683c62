using CudaBert.Engine;
using CudaBert.Engine.Memory;

namespace CudaBert.Tests.Engine;

[Collection(MemoryCollection.Name)]
public class TensorMemoryTests
{
    [Fact]
    public void ScopeDisposesWhatItCreatedExceptWhatWasMovedOut()
    {
        long tensors = MemoryStats.LiveTensors, bytes = MemoryStats.LiveBytes;
        Tensor kept, moved, inner;
        using (var outer = Tensor.Scope())
        {
            using (Tensor.Scope())
            {
                inner = Tensor.Zeros([3, 4]);
                moved = Tensor.Ones([5]).MoveToOuterScope();
                kept = Tensor.Ones([2]).Keep();
            }
            Assert.True(inner.IsDisposed);
            Assert.False(moved.IsDisposed);
            Assert.Same(outer, moved.Owner);
        }
        Assert.True(moved.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(tensors + 1, MemoryStats.LiveTensors);
        Assert.Equal(bytes + 2 * sizeof(float), MemoryStats.LiveBytes);
        kept.Dispose();
        Assert.Equal(tensors, MemoryStats.LiveTensors);
        Assert.Equal(bytes, MemoryStats.LiveBytes);
    }

    [Fact]
    public void PeakLiveBytesIsTheHighWaterMarkSinceTheLastReset()
    {
        long bytes = MemoryStats.LiveBytes;
        MemoryStats.ResetPeak();
        Assert.Equal(bytes, MemoryStats.PeakLiveBytes);
        using (Tensor.Scope())
        {
            Tensor.Zeros([1000]);
            Tensor.Zeros([250]);
        }
        using (Tensor.Scope())
            Tensor.Zeros([100]);
        Assert.Equal(bytes, MemoryStats.LiveBytes);
        Assert.Equal(bytes + 1250 * sizeof(float), MemoryStats.PeakLiveBytes);
        MemoryStats.ResetPeak();
        Assert.Equal(bytes, MemoryStats.PeakLiveBytes);
    }

    [Fact]
    public void ViewsShareStorageUntilTheLastOneIsDisposed()
    {
        long bytes = MemoryStats.LiveBytes;
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var view = x.Reshape(3, 2);
        x.Dispose();
        Assert.Equal(bytes + 6 * sizeof(float), MemoryStats.LiveBytes);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, view.ToArray<float>());
        view.Dispose();
        Assert.Equal(bytes, MemoryStats.LiveBytes);
        Assert.Throws<ObjectDisposedException>(() => view.ToArray<float>());
    }

    [Fact]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = Tensor.Scope();
        var inner = Tensor.Scope();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
    }
}

public class TensorBasicsTests
{
    [Fact]
    public void RoundTripsEveryDTypeAndShape()
    {
        using var scope = Tensor.Scope();
        Assert.Equal(new float[] { 1.5f, -2 }, Tensor.FromArray(new[] { 1.5f, -2f }, [2]).ToArray<float>());
        Assert.Equal(new double[] { 1e-300, 3 }, Tensor.FromArray(new[] { 1e-300, 3 }, [1, 2]).ToArray<double>());
        Assert.Equal(new[] { 7, -1, 0 }, Tensor.FromArray(new[] { 7, -1, 0 }, [3]).ToArray<int>());
        Assert.Equal(new long[] { long.MaxValue }, Tensor.FromArray(new[] { long.MaxValue }, [1, 1]).ToArray<long>());
        Assert.Equal(2.5, Tensor.Scalar(2.5).Item());
        Assert.Equal(new Shape(2, 3), Tensor.Zeros([2, 3]).Shape);
        Assert.Equal(new double[] { 1, 2 }, Tensor.FromArray(new long[] { 1, 2 }, [2]).To(DType.Float64).ToArray<double>());
        var source = Tensor.FromArray(new[] { 4, 5 }, [2, 1]);
        var copy = source.To(Device.Cpu);
        Assert.NotSame(source.Storage, copy.Storage);
        Assert.Equal(new Shape(2, 1), copy.Shape);
        Assert.Equal(new[] { 4, 5 }, copy.ToArray<int>());
        copy.CopyFrom<int>([6, 7]);
        Assert.Equal(new[] { 6, 7 }, copy.ToArray<int>());
        source.CopyFrom(copy);
        Assert.Equal(new[] { 6, 7 }, source.ToArray<int>());
        Assert.Throws<ArgumentException>(() => copy.CopyFrom<int>([1, 2, 3]));
        Assert.Throws<ArgumentException>(() => copy.CopyFrom<float>([1, 2]));
    }

    [Fact]
    public void RejectsMismatchedDataAndShapes()
    {
        using var scope = Tensor.Scope();
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).Reshape(4, -1));
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2]).ToArray<double>());
        var shapes = Assert.Throws<ArgumentException>(() => Ops.Add(Tensor.Zeros([2, 3]), Tensor.Zeros([3, 2])));
        Assert.Contains("[2, 3]", shapes.Message);
        Assert.Contains("[3, 2]", shapes.Message);
    }

    [Fact]
    public void ReshapeIsAViewAndTransposeACopy()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var view = x.Reshape(3, -1);
        Assert.Equal(new Shape(3, 2), view.Shape);
        Assert.Same(x.Storage, view.Storage);
        var t = x.Transpose(0, 1);
        Assert.NotSame(x.Storage, t.Storage);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, t.ToArray<float>());
        // [B=1, S=2, H·D=2·2] → [B, H, S, D]: head h of token s is elements [2h, 2h+1] of row s.
        var heads = Ops.SplitHeads(Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [1, 2, 4]), 2);
        Assert.Equal(new float[] { 1, 2, 5, 6, 3, 4, 7, 8 }, heads.ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, Ops.MergeHeads(heads).ToArray<float>());
    }

    [Fact]
    public void SeededGeneratorsAreReproducible()
    {
        using var scope = Tensor.Scope();
        var a = Tensor.Normal([100], new CudaBert.Engine.Random.Generator(3)).ToArray<float>();
        var b = Tensor.Normal([100], new CudaBert.Engine.Random.Generator(3)).ToArray<float>();
        var c = Tensor.Normal([100], new CudaBert.Engine.Random.Generator(4)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var u = Tensor.Uniform([1000], new CudaBert.Engine.Random.Generator(5), -1, 1).ToArray<float>();
        Assert.All(u, v => Assert.InRange(v, -1f, 1f));
    }
}

public class CpuMemoryPoolTests
{
    [Theory]
    [InlineData(0, 64)]
    [InlineData(1, 64)]
    [InlineData(65, 128)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 4608)]        // 4096 + 512: eight classes between 4 KiB and 8 KiB
    [InlineData(1_000_000, 1_048_576)]
    [InlineData(917_504, 917_504)]  // exactly 7/8 of 1 MiB: its own class
    public void SizeClassesRoundUpByAtMostOneEighth(long request, long expected)
    {
        long size = CudaBert.Engine.Memory.CpuMemoryPool.SizeClass(request);
        Assert.Equal(expected, size);
        Assert.True(size >= request && (request <= 4096 || size - request < size / 8.0));
    }
}
