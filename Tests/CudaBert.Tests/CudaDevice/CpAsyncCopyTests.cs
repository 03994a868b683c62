using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/cp_async_copy.cu: double-buffered cp.async copy that reverses the 16-byte chunks of each tile.</summary>
public class CpAsyncCopyTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ReversesChunksWithinEachTile(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/cp_async_copy"), "cp_async_copy");
        const int chunks = 64, floatsPerChunk = 4, tiles = 7, grid = 3;   // blocks loop over 3, 2 and 2 tiles
        const int tileFloats = chunks * floatsPerChunk, n = tiles * tileFloats;
        float[] input = TestInputs.NonZero(15, n);
        using DeviceArray<float> din = new(gpu, input), dout = new(gpu, n);

        gpu.Launch(kernel, grid, chunks, 2 * chunks * 16, null, new KernelArgs().Ptr(din.Ptr).Ptr(dout.Ptr).I32(tiles));
        gpu.Synchronize();

        // A pure data movement: exact. Output chunk c of a tile is input chunk (chunks - 1 - c).
        float[] output = dout.Read();
        for (int t = 0; t < tiles; t++)
            for (int c = 0; c < chunks; c++)
                for (int f = 0; f < floatsPerChunk; f++)
                {
                    int to = t * tileFloats + c * floatsPerChunk + f, from = t * tileFloats + (chunks - 1 - c) * floatsPerChunk + f;
                    Assert.True(input[from] == output[to], $"tile {t}, chunk {c}, float {f}: expected {input[from]:R}, got {output[to]:R}");
                }
    }
}
