using System.Runtime.InteropServices;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// The few cuBLAS calls we use as a GEMM baseline (declarations from cublas_api.h). cuBLAS is
/// column-major; <see cref="Cublas"/> turns our row-major problems into its terms. Every call
/// returns a cublasStatus_t, 0 = success.
/// </summary>
static unsafe partial class CublasApi
{
    const string Lib = NativeLibraries.Cublas;

    [LibraryImport(Lib)] public static partial int cublasCreate_v2(out nint handle);
    [LibraryImport(Lib)] public static partial int cublasDestroy_v2(nint handle);
    [LibraryImport(Lib)] public static partial int cublasSetStream_v2(nint handle, nint stream);

    [LibraryImport(Lib)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    public static partial int cublasGemmStridedBatchedEx(nint handle, int transA, int transB, int m, int n, int k,
        void* alpha, ulong a, int aType, int lda, long strideA, ulong b, int bType, int ldb, long strideB,
        void* beta, ulong c, int cType, int ldc, long strideC, int batchCount, int computeType, int algorithm);

    // cublasOperation_t
    public const int CUBLAS_OP_N = 0;
    public const int CUBLAS_OP_T = 1;
    // cudaDataType_t
    public const int CUDA_R_32F = 0;
    // cublasComputeType_t: FP32 accumulate, inputs may be rounded to TF32 for the tensor cores
    public const int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    // cudaDataType_t of bfloat16 operands
    public const int CUDA_R_16BF = 14;
    // cublasComputeType_t: FP32 accumulate, the inputs as they are (bf16 products are exact in fp32)
    public const int CUBLAS_COMPUTE_32F = 68;
    // cublasGemmAlgo_t: let cuBLAS choose
    public const int CUBLAS_GEMM_DEFAULT = -1;

    /// <summary>cublasStatus_t names (cublasGetStatusName only exists from CUDA 11.4 on).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };
}
