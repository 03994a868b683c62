using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace CudaBert.Engine.IO;

/// <summary>
/// Turns the little-endian bytes of one tensor into our element types. Floating dtypes convert to
/// float32/float64, integer dtypes (and BOOL, as 0/1) to int32/int64; mixing the two families is
/// refused, because it is almost always a mistake (token ids read as floats, weights as ints).
/// The destination holds exactly one element per source element.
/// </summary>
public static class SafetensorsConversions
{
    /// <summary>F32 as is; F16 and BF16 widened exactly; F64 rounded to the nearest float.</summary>
    public static void ToFloat32(SafetensorsDType dtype, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                break;
            case SafetensorsDType.BF16:
                // bfloat16 is the upper half of a float32: same sign and exponent, 7 mantissa bits.
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (int i = 0; i < halves.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(halves[i] << 16);
                break;
            case SafetensorsDType.F64:
                TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, double>(bytes), destination);
                break;
            default:
                throw NotFloating(dtype, "float32");
        }
    }

    /// <summary>F64 as is; F32, F16 and BF16 widened exactly.</summary>
    public static void ToFloat64(SafetensorsDType dtype, ReadOnlySpan<byte> bytes, Span<double> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F64:
                MemoryMarshal.Cast<byte, double>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.F32:
                TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<byte, float>(bytes), destination);
                break;
            case SafetensorsDType.F16 or SafetensorsDType.BF16:
                var widened = new float[destination.Length];
                ToFloat32(dtype, bytes, widened);
                TensorPrimitives.ConvertChecked<float, double>(widened, destination);
                break;
            default:
                throw NotFloating(dtype, "float64");
        }
    }

    /// <summary>I64 widened as is; I32, U8 and BOOL widened exactly.</summary>
    public static void ToInt64(SafetensorsDType dtype, ReadOnlySpan<byte> bytes, Span<long> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.I64:
                MemoryMarshal.Cast<byte, long>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.I32:
                var ints = MemoryMarshal.Cast<byte, int>(bytes);
                for (int i = 0; i < ints.Length; i++) destination[i] = ints[i];
                break;
            case SafetensorsDType.U8:
                for (int i = 0; i < bytes.Length; i++) destination[i] = bytes[i];
                break;
            case SafetensorsDType.Bool:
                for (int i = 0; i < bytes.Length; i++) destination[i] = bytes[i] != 0 ? 1 : 0;
                break;
            default:
                throw NotInteger(dtype, "int64");
        }
    }

    /// <summary>
    /// I32 as is; U8 and BOOL widened; I64 narrowed, returning the index of the first element that
    /// does not fit in an int32 (or -1 when all do) so the caller can name it.
    /// </summary>
    public static long ToInt32(SafetensorsDType dtype, ReadOnlySpan<byte> bytes, Span<int> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.I32:
                MemoryMarshal.Cast<byte, int>(bytes).CopyTo(destination);
                return -1;
            case SafetensorsDType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    long value = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
                    if (value is < int.MinValue or > int.MaxValue) return i;
                    destination[i] = (int)value;
                }
                return -1;
            case SafetensorsDType.U8:
                for (int i = 0; i < bytes.Length; i++) destination[i] = bytes[i];
                return -1;
            case SafetensorsDType.Bool:
                for (int i = 0; i < bytes.Length; i++) destination[i] = bytes[i] != 0 ? 1 : 0;
                return -1;
            default:
                throw NotInteger(dtype, "int32");
        }
    }

    /// <summary>float32 → bfloat16 bits, rounding to nearest even (as PyTorch does); NaN stays a quiet NaN.</summary>
    public static ushort ToBFloat16Bits(float value) => BFloat16.FromSingle(value).Bits;

    static InvalidOperationException NotFloating(SafetensorsDType dtype, string target) =>
        new($"{dtype.HeaderName()} is not a floating dtype; it is not converted to {target}");

    static InvalidOperationException NotInteger(SafetensorsDType dtype, string target) =>
        new($"{dtype.HeaderName()} is not an integer dtype; it is not converted to {target}");
}
