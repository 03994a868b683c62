using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>The pool gives memory back: a cap on what its free lists keep, and a trim when a module is disposed.</summary>
[Collection(MemoryCollection.Name)]
public class CpuMemoryPoolLimitTests
{
    [Fact]
    public void BlocksBeyondTheLimitGoBackToTheOs()
    {
        long limit = CpuMemoryPool.CacheLimit;
        CpuMemoryPool.Trim();
        try
        {
            CpuMemoryPool.CacheLimit = 1 << 20;
            var tensors = Enumerable.Range(0, 3).Select(_ => Tensor.Zeros([(1 << 20) / 4 - 1000])).ToList();   // three blocks of 1 MiB
            foreach (var tensor in tensors) tensor.Dispose();
            Assert.Equal(1 << 20, CpuMemoryPool.CachedBytes);   // one kept, two freed: without the limit all three stayed

            CpuMemoryPool.CacheLimit = 0;
            Assert.Equal(0, CpuMemoryPool.CachedBytes);        // lowering the limit frees what no longer fits
        }
        finally
        {
            CpuMemoryPool.CacheLimit = limit;
        }
    }

    [Fact]
    public void DisposingAModuleTrimsThePool()
    {
        CpuMemoryPool.Trim();
        var layer = new Linear(256, 256, new Generator(1));
        using (Tensor.Scope()) layer.Forward(Tensor.Zeros([4, 256]));   // activations go back to the free lists
        Assert.True(CpuMemoryPool.CachedBytes > 0);
        layer.Dispose();
        Assert.Equal(0, CpuMemoryPool.CachedBytes);   // the weights and the cached activations are returned to the OS
    }
}
