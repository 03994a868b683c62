namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>The PTX fundamental types an instruction can name (<c>.b32</c>, <c>.s64</c>, <c>.f16x2</c>, <c>.pred</c>...).</summary>
public enum PtxType : byte
{
    /// <summary>No type (an instruction without one, or a suffix that is not a type).</summary>
    None,
    /// <summary><c>.b8</c>: 8 untyped bits.</summary>
    B8,
    /// <summary><c>.b16</c>: 16 untyped bits.</summary>
    B16,
    /// <summary><c>.b32</c>: 32 untyped bits.</summary>
    B32,
    /// <summary><c>.b64</c>: 64 untyped bits.</summary>
    B64,
    /// <summary><c>.b128</c>: 128 untyped bits (vector loads and stores).</summary>
    B128,
    /// <summary><c>.u8</c>: unsigned 8-bit integer.</summary>
    U8,
    /// <summary><c>.u16</c>: unsigned 16-bit integer.</summary>
    U16,
    /// <summary><c>.u32</c>: unsigned 32-bit integer.</summary>
    U32,
    /// <summary><c>.u64</c>: unsigned 64-bit integer.</summary>
    U64,
    /// <summary><c>.s8</c>: signed 8-bit integer.</summary>
    S8,
    /// <summary><c>.s16</c>: signed 16-bit integer.</summary>
    S16,
    /// <summary><c>.s32</c>: signed 32-bit integer.</summary>
    S32,
    /// <summary><c>.s64</c>: signed 64-bit integer.</summary>
    S64,
    /// <summary><c>.f16</c>: IEEE half precision.</summary>
    F16,
    /// <summary><c>.f16x2</c>: two halves packed in 32 bits.</summary>
    F16x2,
    /// <summary><c>.bf16</c>: bfloat16 (float32's exponent, 7 mantissa bits).</summary>
    BF16,
    /// <summary><c>.bf16x2</c>: two bfloat16 packed in 32 bits.</summary>
    BF16x2,
    /// <summary><c>.tf32</c>: TensorFloat-32, a float32 of which the tensor cores read 10 mantissa bits.</summary>
    TF32,
    /// <summary><c>.f32</c>: IEEE single precision.</summary>
    F32,
    /// <summary><c>.f64</c>: IEEE double precision.</summary>
    F64,
    /// <summary><c>.pred</c>: a 1-bit predicate.</summary>
    Pred,
}

/// <summary>Facts about a <see cref="PtxType"/>: width, signedness, float-ness.</summary>
public static class PtxTypes
{
    /// <summary>Width in bits: 8 to 128, 1 for <see cref="PtxType.Pred"/>, 0 for <see cref="PtxType.None"/>.</summary>
    public static int Bits(this PtxType t) => t switch
    {
        PtxType.B8 or PtxType.U8 or PtxType.S8 => 8,
        PtxType.B16 or PtxType.U16 or PtxType.S16 or PtxType.F16 or PtxType.BF16 => 16,
        PtxType.B32 or PtxType.U32 or PtxType.S32 or PtxType.F32 or PtxType.F16x2 or PtxType.BF16x2 or PtxType.TF32 => 32,
        PtxType.B64 or PtxType.U64 or PtxType.S64 or PtxType.F64 => 64,
        PtxType.B128 => 128,
        PtxType.Pred => 1,
        _ => 0,
    };

    /// <summary>Width in bytes, at least 1 (a predicate counts as one byte).</summary>
    public static int Bytes(this PtxType t) => Math.Max(1, t.Bits() / 8);

    /// <summary>True for the signed integer types <c>.s8</c> to <c>.s64</c>.</summary>
    public static bool IsSigned(this PtxType t) => t is PtxType.S8 or PtxType.S16 or PtxType.S32 or PtxType.S64;

    /// <summary>
    /// The values an integer type holds: −2^(bits−1) to 2^(bits−1) − 1 when signed, 0 to 2^bits − 1
    /// otherwise (Int128, so that the 64-bit bounds need no special case).
    /// </summary>
    public static (Int128 Min, Int128 Max) IntegerRange(this PtxType t)
    {
        int bits = t.Bits();
        return t.IsSigned()
            ? (-((Int128)1 << (bits - 1)), ((Int128)1 << (bits - 1)) - 1)
            : (0, ((Int128)1 << bits) - 1);
    }

    /// <summary>True for the floating-point types, packed pairs and tf32 included.</summary>
    public static bool IsFloat(this PtxType t) =>
        t is PtxType.F16 or PtxType.F16x2 or PtxType.BF16 or PtxType.BF16x2 or PtxType.TF32 or PtxType.F32 or PtxType.F64;

    /// <summary>Parses a type suffix without its dot ("f32"); <see cref="PtxType.None"/> when it is not a type.</summary>
    public static PtxType Parse(string s) => s switch
    {
        "b8" => PtxType.B8, "b16" => PtxType.B16, "b32" => PtxType.B32, "b64" => PtxType.B64, "b128" => PtxType.B128,
        "u8" => PtxType.U8, "u16" => PtxType.U16, "u32" => PtxType.U32, "u64" => PtxType.U64,
        "s8" => PtxType.S8, "s16" => PtxType.S16, "s32" => PtxType.S32, "s64" => PtxType.S64,
        "f16" => PtxType.F16, "f16x2" => PtxType.F16x2, "bf16" => PtxType.BF16, "bf16x2" => PtxType.BF16x2,
        "tf32" => PtxType.TF32, "f32" => PtxType.F32, "f64" => PtxType.F64, "pred" => PtxType.Pred,
        _ => PtxType.None,
    };

    /// <summary>Keeps the low <see cref="Bits"/> of a register value (no-op for 64-bit types).</summary>
    public static ulong Truncate(this PtxType t, ulong v) => t.Bits() switch
    {
        8 => v & 0xFF,
        16 => v & 0xFFFF,
        32 => v & 0xFFFF_FFFF,
        1 => v & 1,
        _ => v,
    };

    /// <summary>Reads a register value as a signed integer of this type's width (sign-extending signed types).</summary>
    public static long AsSigned(this PtxType t, ulong v) => t.Bits() switch
    {
        8 => (sbyte)v,
        16 => (short)v,
        32 => (int)v,
        _ => (long)v,
    };
}
