using System.Diagnostics.CodeAnalysis;
using CudaBert.Kernels.Device;
using static CudaBert.Kernels.Driver.CublasApi;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// cuBLAS strided-batched GEMM on a real GPU: the speed and correctness baseline for our own GEMM
/// kernels, never used by the engine itself. cuBLAS is optional: <see cref="TryCreate"/> says why it
/// is missing instead of throwing.
/// </summary>
public sealed unsafe class Cublas : IDisposable
{
    /// <summary>How the multiply-adds are done.</summary>
    public enum Precision
    {
        /// <summary>FP32 inputs and accumulation (cublasSgemmStridedBatched).</summary>
        Fp32,
        /// <summary>Inputs rounded to TF32 for the tensor cores, FP32 accumulation (cublasGemmStridedBatchedEx).</summary>
        Tf32,
        /// <summary>bfloat16 A and B, FP32 accumulation and FP32 C (cublasGemmStridedBatchedEx): the baseline of gemm_bf16.cu.</summary>
        Bf16,
    }

    readonly CudaDriverDevice _device;
    readonly nint _handle;
    bool _disposed;

    Cublas(CudaDriverDevice device, nint handle) => (_device, _handle) = (device, handle);

    /// <summary>
    /// Creates a cuBLAS handle on <paramref name="device"/>, which must be the real driver. On failure
    /// <paramref name="reason"/> says why (no cuBLAS library, software device, ...).
    /// </summary>
    public static bool TryCreate(ICudaDevice device, [NotNullWhen(true)] out Cublas? blas, out string reason)
    {
        blas = null;
        if (device is not CudaDriverDevice driver)
        {
            reason = $"no cuBLAS: {device.Info.Name} is not a CUDA driver device";
            return false;
        }
        if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out string library))
        {
            reason = $"no cuBLAS: {library}";
            return false;
        }
        try
        {
            driver.MakeCurrent();   // cuBLAS works in the current context: the device's primary context
            int status = cublasCreate_v2(out nint handle);
            if (status != 0)
            {
                reason = $"no cuBLAS: cublasCreate_v2 failed: {StatusName(status)} ({library})";
                return false;
            }
            blas = new Cublas(driver, handle);
            reason = $"cuBLAS from {library}";
            return true;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = $"no cuBLAS: {library} lacks an entry point ({e.Message})";
            return false;
        }
    }

    /// <summary>
    /// Row-major, strided-batched: for each b in [0, batch), C_b = alpha * op(A_b) * op(B_b) + beta * C_b,
    /// where op(X) is X or X^T, op(A) is m x k, op(B) is k x n and C is m x n, all row-major and dense
    /// (A is stored m x k, or k x m when transposed; likewise B). X_b starts strideX elements after X_{b-1}.
    /// A and B are float32, or bfloat16 with <see cref="Precision.Bf16"/>; C is float32.
    /// </summary>
    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k,
        float alpha, DevicePtr a, long strideA, DevicePtr b, long strideB,
        float beta, DevicePtr c, long strideC, int batch,
        Precision precision = Precision.Fp32, CudaStream? stream = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _device.MakeCurrent();
        Check(cublasSetStream_v2(_handle, stream?.Handle ?? 0), "cublasSetStream_v2");

        // A row-major r x c matrix is, in memory, the column-major c x r matrix: its transpose. So the
        // row-major C = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T: swap the
        // operands and the sizes m and n; the transpose flags stay with their operands.
        int opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N, opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
        if (precision == Precision.Fp32)
            Check(cublasSgemmStridedBatched(_handle, opB, opA, n, m, k, &alpha, b.Address, ldb, strideB,
                                            a.Address, lda, strideA, &beta, c.Address, ldc, strideC, batch),
                  "cublasSgemmStridedBatched");
        else
        {
            var (inputs, compute) = precision == Precision.Bf16 ? (CUDA_R_16BF, CUBLAS_COMPUTE_32F) : (CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32);
            Check(cublasGemmStridedBatchedEx(_handle, opB, opA, n, m, k, &alpha, b.Address, inputs, ldb, strideB,
                                             a.Address, inputs, lda, strideA, &beta, c.Address, CUDA_R_32F, ldc, strideC,
                                             batch, compute, CUBLAS_GEMM_DEFAULT),
                  "cublasGemmStridedBatchedEx");
        }
    }

    static void Check(int status, string call)
    {
        if (status != 0)
            throw new CudaException(call, status, StatusName(status));
    }

    /// <summary>Destroys the cuBLAS handle (cublasDestroy); calling it again does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        cublasDestroy_v2(_handle);
    }
}
