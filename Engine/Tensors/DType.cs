namespace CudaBert.Engine;

/// <summary>Element types a <see cref="Tensor"/> can hold.</summary>
public enum DType
{
    /// <summary>32-bit float: parameters, activations and gradients.</summary>
    Float32,
    /// <summary>64-bit float: CPU only, for finite-difference gradient checks.</summary>
    Float64,
    /// <summary>32-bit integer: token ids, labels.</summary>
    Int32,
    /// <summary>64-bit integer: token ids, labels (PyTorch's default index type).</summary>
    Int64,
    /// <summary>bfloat16 (<see cref="Engine.BFloat16"/>): float32's range with 8 significant bits; matrix-product operands under mixed precision.</summary>
    BFloat16,
    /// <summary>IEEE half precision (<see cref="Half"/>): 11 significant bits, range ±65504; read from and written to checkpoints.</summary>
    Float16,
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element: 2 for BFloat16 and Float16, 4 for Float32 and Int32, 8 for Float64 and Int64.</summary>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.BFloat16 or DType.Float16 => 2,
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for Float32 and Float64, the dtypes that can carry gradients.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>True for the 16-bit floats, BFloat16 and Float16: storage and matrix-product operands, never gradients.</summary>
    public static bool IsHalfPrecision(this DType dtype) => dtype is DType.BFloat16 or DType.Float16;

    /// <summary>The dtype that stores the CLR type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(BFloat16) ? DType.BFloat16
        : typeof(T) == typeof(Half) ? DType.Float16
        : throw new NotSupportedException($"no tensor dtype for CLR type {typeof(T).Name}");
}
