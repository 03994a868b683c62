namespace CudaBert.Engine.Autograd;

/// <summary>
/// Whether ops record autograd nodes on this thread. <c>using var _ = GradMode.NoGrad();</c>
/// turns recording off until disposed (inference, optimizer updates, the backward pass itself);
/// <see cref="Enable"/> turns it back on inside such a scope (a checkpointed block recomputed during the backward pass).
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int disabledDepth;

    /// <summary>True unless a <see cref="NoGrad"/> scope is open on this thread: ops then record their backward nodes.</summary>
    public static bool IsEnabled => disabledDepth == 0;

    /// <summary>
    /// Turns recording off on this thread until the returned object is disposed. Scopes nest: recording
    /// comes back when the outermost one ends; disposing one twice has no further effect.
    /// </summary>
    public static IDisposable NoGrad()
    {
        disabledDepth++;
        return new Restore();
    }

    /// <summary>
    /// Turns recording on on this thread until the returned object is disposed, whatever no-grad scopes are
    /// open: <see cref="NoGrad"/> scopes opened inside it nest as usual, and on dispose the thread is back in
    /// the state it was in before (off again inside a no-grad scope). Disposing it twice has no further effect.
    /// </summary>
    public static IDisposable Enable()
    {
        var restore = new RestoreDepth(disabledDepth);
        disabledDepth = 0;
        return restore;
    }

    private sealed class RestoreDepth(int depth) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            disabledDepth = depth;
        }
    }

    private sealed class Restore : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            disabledDepth--;
        }
    }
}
