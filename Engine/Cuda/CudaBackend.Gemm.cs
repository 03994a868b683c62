using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Matrix products: Kernels/bert/gemm_simt.cu (fp32 FMA) and gemm_tf32.cu (tensor cores).
public sealed partial class CudaBackend
{
    /// <summary>
    /// The register-tiled SIMT kernel (fp32 FMA), or inside a <see cref="Tf32Mode.Allow"/> scope of the
    /// calling thread the tensor-core kernel when the operands' rows are 16-byte aligned; batches along
    /// the grid's z.
    /// </summary>
    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        RequireFloat32(nameof(Gemm), a, b, c);
        if (batch == 0 || m == 0 || n == 0) return;
        if (k == 0) { Scale(c, beta, c); return; }   // an empty sum: C = β·C
        GemmKernels.Run(Gpu, Tf32Mode.IsAllowed, transA, transB, batch, m, n, k, (float)alpha,
            Ptr(a, nameof(Gemm)), Ptr(b, nameof(Gemm)), (float)beta, Ptr(c, nameof(Gemm)));
    }
}
