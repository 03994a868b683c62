namespace CudaBert.Tests.BertKernels;

/// <summary>
/// The test classes that set <c>CUDABERT_HOPPER_GEMM</c> for a moment (it is process-wide) share this
/// collection, so they run one after another and no test reads the variable while another has changed it.
/// </summary>
internal static class HopperOptIn
{
    public const string Collection = "CUDABERT_HOPPER_GEMM";
}
