namespace CudaBert.Engine.Autograd;

/// <summary>
/// Whether ops record autograd nodes on this thread. <c>using var _ = GradMode.NoGrad();</c>
/// turns recording off until disposed (inference, optimizer updates, the backward pass itself).
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int disabledDepth;

    public static bool IsEnabled => disabledDepth == 0;

    public static IDisposable NoGrad()
    {
        disabledDepth++;
        return new Restore();
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
