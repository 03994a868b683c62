namespace CudaBert.Engine.IO;

/// <summary>
/// The element types this reader understands, named as in a safetensors header ("F32", "BF16", ...).
/// </summary>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 binary64 (8 bytes).</summary>
    F64,
    /// <summary>IEEE 754 binary32 (4 bytes): the dtype of most checkpoints.</summary>
    F32,
    /// <summary>IEEE 754 binary16, half precision (2 bytes).</summary>
    F16,
    /// <summary>bfloat16 (2 bytes): the top half of a float32, 8 exponent bits and 7 mantissa bits.</summary>
    BF16,
    /// <summary>Signed 64-bit integer (8 bytes), e.g. <c>position_ids</c> buffers.</summary>
    I64,
    /// <summary>Signed 32-bit integer (4 bytes).</summary>
    I32,
    /// <summary>Unsigned byte.</summary>
    U8,
    /// <summary>One byte per value, 0 or 1 (header name <c>BOOL</c>).</summary>
    Bool,
}

/// <summary>Header spelling and element size of each <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.U8 or SafetensorsDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>True for F64, F32, F16 and BF16; false for the integer dtypes and BOOL.</summary>
    public static bool IsFloating(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;

    /// <summary>The string written in the header's "dtype" field.</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool => "BOOL",
        _ => dtype.ToString(),
    };

    /// <summary>Parses a header "dtype" string; false for dtypes this reader does not support (e.g. "F8_E4M3").</summary>
    public static bool TryParse(string headerName, out SafetensorsDType dtype)
    {
        switch (headerName)
        {
            case "F64": dtype = SafetensorsDType.F64; return true;
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            case "BOOL": dtype = SafetensorsDType.Bool; return true;
            default: dtype = default; return false;
        }
    }
}
