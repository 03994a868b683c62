namespace CudaBert.Model.Import.Onnx;

/// <summary>TensorProto.DataType: the element type codes used in ONNX files (the ones we meet).</summary>
public enum OnnxDataType
{
    /// <summary>No type set (0, the protobuf default).</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float: BERT's weights and activations.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer (e.g. quantised weights).</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer: token ids, masks and shape constants.</summary>
    Int64 = 7,
    /// <summary>UTF-8 strings.</summary>
    String = 8,
    /// <summary>Booleans, one byte each.</summary>
    Bool = 9,
    /// <summary>16-bit IEEE half-precision float.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>bfloat16: float32's exponent with a 7-bit mantissa.</summary>
    BFloat16 = 16,
}
