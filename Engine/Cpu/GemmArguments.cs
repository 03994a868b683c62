namespace CudaBert.Engine.Cpu;

/// <summary>
/// Argument checks of <see cref="CpuGemm"/>: every dimension, leading dimension, stride and span
/// length is checked before any pointer is formed, and the message names the operand and the numbers.
/// </summary>
internal static class GemmArguments
{
    public static void Validate(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, long strideA, int bLength, int ldb, long strideB,
        int cLength, int ldc, long strideC, int batch)
    {
        Require(m >= 0, nameof(m), $"m = {m} must not be negative.");
        Require(n >= 0, nameof(n), $"n = {n} must not be negative.");
        Require(k >= 0, nameof(k), $"k = {k} must not be negative.");
        Require(batch >= 0, nameof(batch), $"batch = {batch} must not be negative.");

        // Stored shapes: A is m×k, or k×m when transposed; B is k×n, or n×k; C is m×n.
        CheckOperand("A", "lda", "strideA", transA ? k : m, transA ? m : k, aLength, lda, strideA, batch, transA);
        CheckOperand("B", "ldb", "strideB", transB ? n : k, transB ? k : n, bLength, ldb, strideB, batch, transB);
        CheckOperand("C", "ldc", "strideC", m, n, cLength, ldc, strideC, batch, transposed: false);
        // The products of a batch run in parallel: two of them writing the same C element would race.
        long cMatrix = (long)(m - 1) * ldc + n;
        Require(batch <= 1 || m == 0 || n == 0 || strideC >= cMatrix, "strideC",
            $"strideC = {strideC} makes the {batch} C matrices (each {m}×{n} with ldc = {ldc}, {cMatrix} elements) overlap.");
    }

    private static void CheckOperand(string name, string ldName, string strideName, int rows, int columns,
        int length, int ld, long stride, int batch, bool transposed)
    {
        string shape = $"{name} is stored {rows}×{columns}{(transposed ? " (transposed)" : "")}";
        Require(ld >= Math.Max(1, columns), ldName, $"{shape}, so {ldName} must be at least {Math.Max(1, columns)}, got {ld}.");
        Require(stride >= 0, strideName, $"{strideName} = {stride} must not be negative.");
        if (rows == 0 || columns == 0 || batch == 0)
            return;
        long oneMatrix = (long)(rows - 1) * ld + columns;
        long needed = (batch - 1) * stride + oneMatrix;
        string batchText = batch == 1 ? "" : $" × {batch} matrices {strideName} = {stride} apart";
        Require(length >= needed, name.ToLowerInvariant(),
            $"{shape} with {ldName} = {ld}{batchText}: needs {needed} elements, the span has {length}.");
    }

    private static void Require(bool condition, string parameter, string message)
    {
        if (!condition)
            throw new ArgumentException($"Sgemm: {message}", parameter);
    }
}
