using System.Numerics;
using System.Numerics.Tensors;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Memory;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// The CPU implementation of <see cref="IBackend"/>. Kernels are generic over float and double
/// (<c>T : IFloatingPointIeee754</c>), vectorised through <see cref="TensorPrimitives"/> (which uses
/// Vector512/256 where the CPU has them), and split over cores by rows with <see cref="ParallelRows"/>.
/// One partial-class file per section of <see cref="IBackend"/>, named as the CUDA backend's (CpuBackend.X.cs ↔ CudaBackend.X.cs).
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    /// <summary>The one CPU backend (it holds no state); <see cref="Backend.For"/> returns it for <see cref="Device.Cpu"/>.</summary>
    public static readonly CpuBackend Instance = new();

    private CpuBackend() { }

    /// <inheritdoc/>
    public Device Device => Device.Cpu;

    /// <inheritdoc/>
    public Storage Allocate(long byteLength) => new CpuStorage(byteLength);

    /// <inheritdoc/>
    public void CopyFromHost(ReadOnlySpan<byte> source, Tensor destination) => source.CopyTo(destination.AsBytes());

    /// <inheritdoc/>
    public void CopyToHost(Tensor source, Span<byte> destination) => source.AsBytes().CopyTo(destination);

    /// <inheritdoc/>
    public void Fill(Tensor x, double value)
    {
        switch (x.DType)
        {
            case DType.Float32: x.AsSpan<float>().Fill((float)value); break;
            case DType.Float64: x.AsSpan<double>().Fill(value); break;
            case DType.Int32: x.AsSpan<int>().Fill((int)value); break;
            case DType.Int64: x.AsSpan<long>().Fill((long)value); break;
            case DType.BFloat16: x.AsSpan<BFloat16>().Fill(BFloat16.FromDouble(value)); break;
            case DType.Float16: x.AsSpan<Half>().Fill((Half)value); break;
        }
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination) => source.AsBytes().CopyTo(destination.AsBytes());

    /// <inheritdoc/>
    public void CopyElements(Tensor source, long sourceStart, Tensor destination, long destinationStart, long count)
    {
        int size = source.DType.SizeInBytes();
        source.AsBytes().Slice(checked((int)(sourceStart * size)), checked((int)(count * size)))
            .CopyTo(destination.AsBytes().Slice(checked((int)(destinationStart * size))));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Between floats every conversion is one correct rounding to nearest, ties to even (float32 →
    /// bfloat16 by <see cref="BFloat16.FromSingle"/>, to float16 by <see cref="Half"/>'s conversions);
    /// widening is exact. Other pairs go through double: exact for the floats, int32, and int64 up to 2^53.
    /// </remarks>
    public void Cast(Tensor source, Tensor destination)
    {
        if (source.DType == destination.DType) { Copy(source, destination); return; }
        if (source.DType == DType.Float32 && destination.DType == DType.BFloat16)
        {
            Convert<float, BFloat16>(source.AsSpan<float>(), destination.AsSpan<BFloat16>(), BFloat16.FromSingle);
            return;
        }
        if (source.DType == DType.Float32 && destination.DType == DType.Float16)
        {
            Convert<float, Half>(source.AsSpan<float>(), destination.AsSpan<Half>(), v => (Half)v);
            return;
        }
        var values = source.ToDoubleArray();
        switch (destination.DType)
        {
            case DType.Float32: Convert<double, float>(values, destination.AsSpan<float>(), v => (float)v); break;
            case DType.Float64: values.CopyTo(destination.AsSpan<double>()); break;
            case DType.Int32: Convert<double, int>(values, destination.AsSpan<int>(), v => (int)v); break;
            case DType.Int64: Convert<double, long>(values, destination.AsSpan<long>(), v => (long)v); break;
            case DType.BFloat16: Convert<double, BFloat16>(values, destination.AsSpan<BFloat16>(), BFloat16.FromDouble); break;
            case DType.Float16: Convert<double, Half>(values, destination.AsSpan<Half>(), v => (Half)v); break;
        }
    }

    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> values, Span<TTo> destination, Func<TFrom, TTo> convert)
    {
        for (int i = 0; i < values.Length; i++) destination[i] = convert(values[i]);
    }

    /// <summary>
    /// Runs body(firstRow, endRow) over [0, rows) in chunks on the thread pool when the work
    /// (rows × costPerRow, roughly in element operations) is large enough to pay for it, inline otherwise.
    /// </summary>
    internal static void ParallelRows(long rows, long costPerRow, Action<int, int> body)
    {
        const long MinWorkPerChunk = 1 << 15;
        int chunks = (int)Math.Clamp(rows * Math.Max(costPerRow, 1) / MinWorkPerChunk, 1, Math.Min(rows, Environment.ProcessorCount * 4L));
        if (chunks <= 1) { body(0, (int)rows); return; }
        Parallel.For(0, chunks, c => body((int)(rows * c / chunks), (int)(rows * (c + 1) / chunks)));
    }

    /// <summary>Calls the float32 or float64 instantiation of a generic kernel, by the dtype of <paramref name="x"/>.</summary>
    private static void ByFloatType(Tensor x, Action float32, Action float64, string primitive)
    {
        if (x.DType == DType.Float32) float32();
        else if (x.DType == DType.Float64) float64();
        else throw new NotSupportedException($"{primitive}: needs a floating-point tensor, got {x.DType} {x.Shape}");
    }

    private static T Cast<T>(double value) where T : IFloatingPointIeee754<T> => T.CreateTruncating(value);
}

internal static class CpuTensorExtensions
{
    public static Span<byte> AsBytes(this Tensor tensor) =>
        ((CpuStorage)tensor.Storage).AsSpan<byte>(tensor.ByteLength);

    /// <summary>Index tensor element as long (int32 or int64 storage).</summary>
    public static long[] IndicesAsLongs(this Tensor ids) => ids.DType switch
    {
        DType.Int64 => ids.AsSpan<long>().ToArray(),
        DType.Int32 => Array.ConvertAll(ids.AsSpan<int>().ToArray(), v => (long)v),
        _ => throw new ArgumentException($"index tensor must be Int32 or Int64, got {ids.DType} {ids.Shape}"),
    };
}
