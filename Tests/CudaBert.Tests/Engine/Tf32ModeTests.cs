using CudaBert.Engine.Backends;

namespace CudaBert.Tests.Engine;

/// <summary><see cref="Tf32Mode"/>: off by default, set by a scope, restored when it ends, per thread.</summary>
public class Tf32ModeTests
{
    [Fact]
    public void AScopeSetsTheModeAndItsEndRestoresTheOneBefore()
    {
        Assert.False(Tf32Mode.IsAllowed);
        using (Tf32Mode.Allow())
        {
            Assert.True(Tf32Mode.IsAllowed);
            using (Tf32Mode.Allow(false)) Assert.False(Tf32Mode.IsAllowed);
            Assert.True(Tf32Mode.IsAllowed);
        }
        Assert.False(Tf32Mode.IsAllowed);
    }

    [Fact]
    public void DisposingTwiceRestoresOnce()
    {
        using (Tf32Mode.Allow())
        {
            var inner = Tf32Mode.Allow(false);
            inner.Dispose();
            using (Tf32Mode.Allow(false))
            {
                inner.Dispose();   // a second Dispose must not bring back the mode it once restored
                Assert.False(Tf32Mode.IsAllowed);
            }
            Assert.True(Tf32Mode.IsAllowed);
        }
        Assert.False(Tf32Mode.IsAllowed);
    }

    [Fact]
    public void AnotherThreadKeepsItsOwnMode()
    {
        using (Tf32Mode.Allow())
        {
            bool seenElsewhere = true;
            var thread = new Thread(() => seenElsewhere = Tf32Mode.IsAllowed);
            thread.Start();
            thread.Join();
            Assert.False(seenElsewhere);
        }
    }
}
