using CudaBert.Engine.Backends;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Matrix products: Kernels/bert/gemm_simt.cu (fp32 FMA), gemm_tf32.cu (tensor cores) and, for bfloat16
// operands, gemm_bf16.cu (tensor cores, fp32 accumulation; on Hopper, opted in, Kernels/hopper/gemm_wgmma_bf16.cu).
public sealed partial class CudaBackend
{
    /// <summary>
    /// The register-tiled SIMT kernel (fp32 FMA), or inside a <see cref="Tf32Mode.Allow"/> scope of the
    /// calling thread the tensor-core kernel when the operands' rows are 16-byte aligned; batches along
    /// the grid's z.
    /// </summary>
    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        if (a.DType == DType.BFloat16 || b.DType == DType.BFloat16) { GemmBFloat16(transA, transB, batch, m, n, k, alpha, a, b, beta, c); return; }
        RequireFloat32(nameof(Gemm), a, b, c);
        if (batch == 0 || m == 0 || n == 0) return;
        if (k == 0) { Scale(c, beta, c); return; }   // an empty sum: C = β·C
        RunGemm(transA, transB, batch, m, n, k, (float)alpha, Ptr(a, nameof(Gemm)), Ptr(b, nameof(Gemm)), (float)beta, Ptr(c, nameof(Gemm)));
    }

    /// <summary>
    /// <see cref="GemmKernels.Run"/> following <see cref="Tf32Mode"/>, with the scratch memory Hopper's split-K needs for
    /// the product's partial sums (<see cref="HopperGemmKernels.WorkspaceBytes"/>: none on other GPUs, without TF32, or
    /// when the tiles alone keep the SMs busy).
    /// </summary>
    private void RunGemm(bool transA, bool transB, int batch, int m, int n, int k, float alpha, DevicePtr a, DevicePtr b, float beta, DevicePtr c,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default)
    {
        bool tf32 = Tf32Mode.IsAllowed;
        long bytes = tf32 && HopperGemmKernels.Chosen(Gpu.Info) ? HopperGemmKernels.WorkspaceBytes(Gpu.Info, batch, m, n, k) : 0;
        if (bytes == 0)
        {
            GemmKernels.Run(Gpu, tf32, transA, transB, batch, m, n, k, alpha, a, b, beta, c, bias: bias, epilogue: epilogue, aux: aux);
            return;
        }
        using var workspace = Scratch(bytes);
        GemmKernels.Run(Gpu, tf32, transA, transB, batch, m, n, k, alpha, a, b, beta, c, bias: bias, epilogue: epilogue, aux: aux,
            workspace: workspace.Pointer, workspaceBytes: bytes);
    }

    /// <summary>Bfloat16 A and B on the tensor cores (<see cref="GemmBf16Kernels.Dispatch"/>) with fp32 accumulation; C float32 or bfloat16.</summary>
    private void GemmBFloat16(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        if (a.DType != DType.BFloat16 || b.DType != DType.BFloat16 || c.DType is not (DType.Float32 or DType.BFloat16))
            throw NoKernel(nameof(Gemm), $"bfloat16 operands need A and B both BFloat16 and C Float32 or BFloat16, got A {a.DType} {a.Shape}, B {b.DType} {b.Shape}, C {c.DType} {c.Shape}");
        if (batch == 0 || m == 0 || n == 0) return;
        if (k == 0)
        {
            if (c.DType == DType.Float32) Scale(c, beta, c);
            else if (beta != 1) throw NoKernel(nameof(Gemm), $"an empty sum (K = 0) into a bfloat16 C needs β = 1 (the scaling kernel is float32), got β = {beta}");
            return;
        }
        GemmBf16Kernels.Dispatch(Gpu, transA, transB, batch, m, n, k, (float)alpha, Ptr(a, nameof(Gemm)), Ptr(b, nameof(Gemm)), (float)beta,
            Ptr(c, nameof(Gemm)), c.DType == DType.BFloat16);
    }
}
