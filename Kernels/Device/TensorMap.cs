namespace CudaBert.Kernels.Device;

/// <summary>The element type of a tensor map (CUtensorMapDataType; the values are the driver's).</summary>
public enum TensorMapDataType
{
    /// <summary>1-byte unsigned integers (CU_TENSOR_MAP_DATA_TYPE_UINT8).</summary>
    UInt8 = 0,
    /// <summary>2-byte unsigned integers (CU_TENSOR_MAP_DATA_TYPE_UINT16).</summary>
    UInt16 = 1,
    /// <summary>4-byte unsigned integers (CU_TENSOR_MAP_DATA_TYPE_UINT32).</summary>
    UInt32 = 2,
    /// <summary>4-byte signed integers (CU_TENSOR_MAP_DATA_TYPE_INT32).</summary>
    Int32 = 3,
    /// <summary>IEEE half precision (CU_TENSOR_MAP_DATA_TYPE_FLOAT16).</summary>
    Float16 = 6,
    /// <summary>IEEE single precision (CU_TENSOR_MAP_DATA_TYPE_FLOAT32): also what TF32 GEMMs load, the tensor cores truncate.</summary>
    Float32 = 7,
    /// <summary>bfloat16 (CU_TENSOR_MAP_DATA_TYPE_BFLOAT16).</summary>
    BFloat16 = 9,
}

/// <summary>
/// How a tensor copy lays a box out in shared memory (CUtensorMapSwizzle). With a W-byte swizzle (W = 32,
/// 64, 128) the 16-byte chunk bits 4.. of each shared address are XORed with its bits 7.. (1, 2 or 3 bits):
/// the pattern wgmma's descriptors of the same swizzle read, which spreads a column of rows over all banks.
/// The box's innermost dimension may then be at most W bytes.
/// </summary>
public enum TensorMapSwizzle
{
    /// <summary>The box is stored densely, row after row (CU_TENSOR_MAP_SWIZZLE_NONE).</summary>
    None = 0,
    /// <summary>32-byte swizzle (CU_TENSOR_MAP_SWIZZLE_32B).</summary>
    Bytes32 = 1,
    /// <summary>64-byte swizzle (CU_TENSOR_MAP_SWIZZLE_64B).</summary>
    Bytes64 = 2,
    /// <summary>128-byte swizzle (CU_TENSOR_MAP_SWIZZLE_128B).</summary>
    Bytes128 = 3,
}

/// <summary>
/// Whether a tensor copy asks the L2 cache to fetch more than the bytes it reads (CUtensorMapL2promotion):
/// wider requests help when neighbouring boxes are read soon after.
/// </summary>
public enum TensorMapL2Promotion
{
    /// <summary>No promotion (CU_TENSOR_MAP_L2_PROMOTION_NONE).</summary>
    None = 0,
    /// <summary>64-byte requests (CU_TENSOR_MAP_L2_PROMOTION_L2_64B).</summary>
    Bytes64 = 1,
    /// <summary>128-byte requests (CU_TENSOR_MAP_L2_PROMOTION_L2_128B).</summary>
    Bytes128 = 2,
    /// <summary>256-byte requests (CU_TENSOR_MAP_L2_PROMOTION_L2_256B).</summary>
    Bytes256 = 3,
}

/// <summary>
/// A tensor map (CUtensorMap): the 128-byte, 64-byte-aligned opaque description of a tensor in global memory
/// and of the box one <c>cp.async.bulk.tensor</c> copies, made by <see cref="ICudaDevice.EncodeTiledTensorMap"/>.
/// Its bytes mean something only to the device that encoded it. A kernel takes it by value as a
/// <c>const __grid_constant__</c> parameter (<see cref="KernelArgs.TensorMap"/>), so the copy engine reads it
/// from the kernel's parameter space.
/// </summary>
public sealed class TensorMap
{
    /// <summary>The size of a tensor map in bytes (sizeof(CUtensorMap)).</summary>
    public const int Size = 128;

    readonly byte[] _bytes;

    /// <summary>Wraps the <see cref="Size"/> bytes a device encoded (copied).</summary>
    public TensorMap(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"a tensor map is {Size} bytes, not {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    /// <summary>The encoded bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
}
