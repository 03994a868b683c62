using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CudaBert.Model.Import.Onnx;

/// <summary>
/// TensorProto: a named constant tensor. Its values are stored either in <see cref="RawData"/>
/// (little-endian bytes of the element type, what exporters write for weights) or in one of the typed
/// repeated fields (float_data for FLOAT; int64_data for INT64; ...), what small constants often use.
/// </summary>
public sealed record OnnxTensor(
    string Name,
    OnnxDataType DataType,
    long[] Dims,
    ReadOnlyMemory<byte> RawData,
    bool HasRawData,
    float[] FloatData,
    long[] Int64Data,
    double[] DoubleData,
    long SourceOffset)
{
    /// <summary>Number of elements: the product of the dims (1 for a scalar).</summary>
    /// <exception cref="InvalidDataException">The product overflows: the dims cannot be those of real data.</exception>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Dims)
            {
                if (d != 0 && count > long.MaxValue / d)
                    throw new InvalidDataException($"ONNX tensor '{Name}' (byte {SourceOffset}): dims [{string.Join(", ", Dims)}] are too large to address");
                count *= d;
            }
            return count;
        }
    }

    /// <summary>The values of a FLOAT tensor, from raw_data or float_data.</summary>
    public float[] ToFloat32() => Values(OnnxDataType.Float, FloatData);

    /// <summary>The values of an INT64 tensor, from raw_data or int64_data.</summary>
    public long[] ToInt64() => Values(OnnxDataType.Int64, Int64Data);

    /// <summary>The values of a tensor of type <paramref name="expected"/>: raw_data read as <typeparamref name="T"/>, else <paramref name="typed"/>, its typed field.</summary>
    T[] Values<T>(OnnxDataType expected, T[] typed) where T : unmanaged
    {
        if (DataType != expected)
            throw new InvalidDataException($"ONNX tensor '{Name}' (byte {SourceOffset}) is {DataType}, not {expected}");
        return HasRawData
            ? MemoryMarshal.Cast<byte, T>(CheckedRaw(Unsafe.SizeOf<T>())).ToArray()
            : CheckedTyped(typed);
    }

    ReadOnlySpan<byte> CheckedRaw(int elementSize)
    {
        // Compare in elements: ElementCount * elementSize could overflow for corrupt dims.
        if (RawData.Length % elementSize != 0 || RawData.Length / elementSize != ElementCount)
            throw new InvalidDataException(
                $"ONNX tensor '{Name}' (byte {SourceOffset}): dims [{string.Join(", ", Dims)}] need {ElementCount} elements of {elementSize} bytes, raw_data has {RawData.Length} bytes");
        return RawData.Span;
    }

    T[] CheckedTyped<T>(T[] values)
    {
        if (values.Length != ElementCount)
            throw new InvalidDataException(
                $"ONNX tensor '{Name}' (byte {SourceOffset}): dims [{string.Join(", ", Dims)}] need {ElementCount} values, the typed field has {values.Length}");
        return values;
    }
}
