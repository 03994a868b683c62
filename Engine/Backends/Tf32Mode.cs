namespace CudaBert.Engine.Backends;

/// <summary>
/// Whether float32 matrix products on this thread may use the TF32 tensor-core kernel (inputs
/// rounded to TF32's 10 mantissa bits, fp32 accumulation: about 1e-3 relative error). Off unless a
/// scope turns it on:
/// <code>
/// using (Tf32Mode.Allow(options.Tf32)) { /* every GEMM of this thread here */ }
/// </code>
/// The mode ends with the scope and the one before comes back, so whoever asks for TF32 (the trainer,
/// <c>cudabert bench train</c>) leaves no trace on later work or on other threads. Off by default as
/// PyTorch's <c>allow_tf32</c> for matmuls, but per thread and scoped like <see cref="Autograd.GradMode"/>.
/// Only <see cref="Cuda.CudaBackend.Gemm"/> reads it; the CPU backend always computes in fp32.
/// </summary>
public static class Tf32Mode
{
    [ThreadStatic] private static bool allowed;

    /// <summary>True when GEMMs on this thread may run on the TF32 kernel.</summary>
    public static bool IsAllowed => allowed;

    /// <summary>
    /// Sets the mode of this thread (<paramref name="allow"/> false forces fp32 even inside a scope that
    /// allowed TF32) until the returned scope is disposed, which restores the mode before it.
    /// </summary>
    public static IDisposable Allow(bool allow = true)
    {
        var restore = new Restore(allowed);
        allowed = allow;
        return restore;
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            allowed = previous;
        }
    }
}
