using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/embedding.cu: gather, bad ids, and the deterministic backward against the CPU backend.</summary>
public class EmbeddingKernelTests
{
    const int Vocab = 50, Dim = 70;

    /// <summary>
    /// <paramref name="count"/> ids with many repeats (id 0 plays padding: every sixth), 70 by default: more than two
    /// warps of positions; 300 spans three of the backward's 128-id scan steps.
    /// </summary>
    static int[] Ids(int count = 70)
    {
        var random = new Random(60);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % 6 == 5 ? 0 : random.Next(1, 9);
        return ids;
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void GatherCopiesRows(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] table = TestInputs.NonZero(61, Vocab * Dim);
        int[] ids = Ids();
        using DeviceArray<float> dt = new(gpu, table), dy = new(gpu, ids.Length * Dim);
        using DeviceArray<int> di = new(gpu, ids), bad = new(gpu, [int.MaxValue]);

        EmbeddingKernels.Gather(gpu, dt.Ptr, di.Ptr, dy.Ptr, ids.Length, Vocab, Dim, bad.Ptr);

        var expected = ids.SelectMany(id => table.AsSpan(id * Dim, Dim).ToArray()).ToArray();
        KernelAssert.BitEqual(expected, dy.Read(), "y");
        Assert.Equal(int.MaxValue, bad.Read()[0]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void GatherReportsTheFirstBadId(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] table = TestInputs.NonZero(62, Vocab * Dim);
        int[] ids = [3, 7, Vocab, -1, Vocab + 5];
        using DeviceArray<float> dt = new(gpu, table), dy = new(gpu, ids.Length * Dim);
        using DeviceArray<int> di = new(gpu, ids), bad = new(gpu, [int.MaxValue]);

        EmbeddingKernels.Gather(gpu, dt.Ptr, di.Ptr, dy.Ptr, ids.Length, Vocab, Dim, bad.Ptr);

        Assert.Equal(2, bad.Read()[0]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", Dim, 70)]
    [InlineData("software", 1100, 70)]     // more than the 1024 columns a warp keeps in registers: two chunks
    [InlineData("software", 20, 300)]      // ids over three 128-id scan steps, the last one partial
    [InlineData("driver", Dim, 70)]
    [InlineData("driver", 1100, 70)]
    [InlineData("driver", 20, 300)]
    public void BackwardIsExactlyTheCpusScatterAdd(string device, int dim, int count)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        int[] ids = Ids(count);
        float[] dy = TestInputs.NonZero(63, ids.Length * dim), dtable = TestInputs.NonZero(64, Vocab * dim);
        using DeviceArray<float> ddy = new(gpu, dy), ddt = new(gpu, dtable);
        using DeviceArray<int> di = new(gpu, ids);

        EmbeddingKernels.Backward(gpu, ddy.Ptr, di.Ptr, ddt.Ptr, ids.Length, Vocab, dim);

        // Same additions in the same order (increasing position per row, onto the existing row): same bits.
        var expected = Cpu.Tensor(dtable, Vocab, dim);
        Cpu.Backend.EmbeddingScatterAdd(Cpu.Tensor(dy, ids.Length, dim), Cpu.Tensor(ids, ids.Length), expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), ddt.Read(), "dtable");
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
