namespace CudaBert.Engine.Backends;

/// <summary>How the matrix products of <see cref="Nn.Linear"/> layers compute (<c>--precision</c> of <c>cudabert train</c>).</summary>
public enum MatmulPrecision
{
    /// <summary>float32 operands and accumulation: the exact reference (the default).</summary>
    Fp32,
    /// <summary>
    /// float32 tensors, products on the TF32 tensor-core kernel (operands rounded to 10 mantissa bits,
    /// fp32 accumulation); CUDA only, the CPU computes in fp32. The same as <see cref="Tf32Mode"/>.
    /// </summary>
    Tf32,
    /// <summary>
    /// Mixed precision: a Linear layer's GEMM operands are bfloat16 (the activation cast on the fly, the
    /// weight from its <see cref="Tensor.BFloat16Copy"/>), accumulated in fp32 into an fp32 output. Everything
    /// else stays fp32: layer norm, softmax, losses, reductions, gradients, AdamW and the parameters
    /// themselves (the master weights). On the CPU too (the reference).
    /// </summary>
    Bf16,
}

/// <summary>
/// The <see cref="MatmulPrecision"/> of this thread, scoped like <see cref="Tf32Mode"/> (which it sets as well):
/// <code>
/// using (MatmulPrecisionMode.Use(options.Precision)) { /* every forward and backward of this thread here */ }
/// </code>
/// The trainer (and <c>cudabert bench train</c>) open it around their steps; the mode before comes back
/// when the scope ends. Read by <see cref="Nn.Linear.Forward"/> (and the model code that would fuse a Linear away).
/// </summary>
public static class MatmulPrecisionMode
{
    [ThreadStatic] private static MatmulPrecision current;

    /// <summary>The precision of Linear layers on this thread (<see cref="MatmulPrecision.Fp32"/> unless a scope says otherwise).</summary>
    public static MatmulPrecision Current => current;

    /// <summary>True inside a <see cref="MatmulPrecision.Bf16"/> scope.</summary>
    public static bool IsBFloat16 => current == MatmulPrecision.Bf16;

    /// <summary>Sets this thread's precision (and its <see cref="Tf32Mode"/>: on for Tf32 only) until the returned scope is disposed.</summary>
    public static IDisposable Use(MatmulPrecision precision)
    {
        var tf32 = Tf32Mode.Allow(precision == MatmulPrecision.Tf32);
        var restore = new Restore(current, tf32);
        current = precision;
        return restore;
    }

    /// <summary>Parses the spelling of <c>--precision</c>: fp32, tf32 or bf16 (any case).</summary>
    public static bool TryParse(string? text, out MatmulPrecision precision)
    {
        switch (text?.ToLowerInvariant())
        {
            case "fp32": precision = MatmulPrecision.Fp32; return true;
            case "tf32": precision = MatmulPrecision.Tf32; return true;
            case "bf16": precision = MatmulPrecision.Bf16; return true;
            default: precision = default; return false;
        }
    }

    /// <summary>The spelling <see cref="TryParse"/> reads: fp32, tf32 or bf16.</summary>
    public static string Name(this MatmulPrecision precision) => precision.ToString().ToLowerInvariant();

    private sealed class Restore(MatmulPrecision previous, IDisposable tf32) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            current = previous;
            tf32.Dispose();
        }
    }
}
