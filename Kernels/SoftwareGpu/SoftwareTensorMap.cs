using System.Buffers.Binary;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// The software GPU's tensor maps: <see cref="ICudaDevice.EncodeTiledTensorMap"/> checked against the
/// driver's rules and written into the 128 opaque bytes of a CUtensorMap, and read back by the tensor copy
/// (BlockExecutor.TensorCopy.cs). The hardware's encoding is undocumented; this one is the software GPU's
/// own, little-endian, unused dimensions zero:
///
///   bytes   0 ..   7   global address
///   bytes   8 ..  47   global dimensions 0 .. 4, 8 bytes each (elements)
///   bytes  48 ..  79   byte strides of dimensions 1 .. 4, 8 bytes each
///   bytes  80 ..  99   box dimensions 0 .. 4, 4 bytes each (elements)
///   bytes 100 .. 119   element strides 0 .. 4, 4 bytes each
///   byte  120          rank (1 .. 5)
///   byte  121          data type (the CUtensorMapDataType value)
///   byte  122          swizzle (the CUtensorMapSwizzle value)
///   byte  123          L2 promotion (the CUtensorMapL2promotion value; a hint, unused here)
///   bytes 124 .. 127   "SGTM": marks bytes this encoder wrote, so a zeroed or foreign map is reported
/// </summary>
/// <param name="Address">The tensor's global address.</param>
/// <param name="Rank">Its number of dimensions, 1 to 5.</param>
/// <param name="DataType">Its element type.</param>
/// <param name="GlobalDims">The extent of each dimension in elements, innermost first.</param>
/// <param name="GlobalStrides">The byte stride of each dimension (dimension 0's is the element size).</param>
/// <param name="BoxDims">The box one copy moves, in elements per dimension.</param>
/// <param name="ElementStrides">The step between the elements a copy takes along each dimension.</param>
/// <param name="Swizzle">The shared-memory layout of the box.</param>
internal sealed record SoftwareTensorMap(ulong Address, int Rank, TensorMapDataType DataType, ulong[] GlobalDims, ulong[] GlobalStrides,
    uint[] BoxDims, uint[] ElementStrides, TensorMapSwizzle Swizzle)
{
    const uint Marker = 0x4D544753;   // "SGTM", little-endian

    /// <summary>The bytes of one element of the map's type.</summary>
    public int ElementBytes => ElementSize(DataType);

    /// <summary>The bytes one copy of the whole box writes (and counts on its mbarrier), out-of-bounds zeros included.</summary>
    public long BoxBytes
    {
        get
        {
            long bytes = ElementBytes;
            for (int d = 0; d < Rank; d++) bytes *= BoxDims[d];
            return bytes;
        }
    }

    /// <summary>The span of the map's swizzle in bytes (32, 64, 128), or 0 for none.</summary>
    public int SwizzleBytes => Swizzle == TensorMapSwizzle.None ? 0 : 16 << (int)Swizzle;

    static int ElementSize(TensorMapDataType type) => type switch
    {
        TensorMapDataType.UInt8 => 1,
        TensorMapDataType.UInt16 or TensorMapDataType.Float16 or TensorMapDataType.BFloat16 => 2,
        TensorMapDataType.UInt32 or TensorMapDataType.Int32 or TensorMapDataType.Float32 => 4,
        _ => 0,
    };

    static CudaException Invalid(string detail) => new("cuTensorMapEncodeTiled", 1, "CUDA_ERROR_INVALID_VALUE", null, detail);

    /// <summary>Checks the arguments as the driver does and encodes them; a broken rule is a CUDA_ERROR_INVALID_VALUE that names it.</summary>
    public static TensorMap Encode(TensorMapDataType type, DevicePtr address, ReadOnlySpan<ulong> globalDims, ReadOnlySpan<ulong> globalStrides,
        ReadOnlySpan<uint> boxDims, ReadOnlySpan<uint> elementStrides, TensorMapSwizzle swizzle, TensorMapL2Promotion l2Promotion)
    {
        int rank = globalDims.Length;
        int elementBytes = ElementSize(type);
        if (elementBytes == 0) throw Invalid($"data type {(int)type} is not one the software GPU encodes");
        if (rank is < 1 or > 5) throw Invalid($"rank {rank}: a tiled tensor map has 1 to 5 dimensions");
        if (globalStrides.Length != rank - 1 || boxDims.Length != rank || elementStrides.Length != rank)
            throw Invalid($"rank {rank} needs {rank - 1} global strides, {rank} box dimensions and {rank} element strides " +
                          $"({globalStrides.Length}, {boxDims.Length}, {elementStrides.Length} given)");
        if (address.Address % 16 != 0) throw Invalid($"the global address {address} is not 16-byte aligned");
        if (swizzle is < TensorMapSwizzle.None or > TensorMapSwizzle.Bytes128) throw Invalid($"swizzle {(int)swizzle} is not a CUtensorMapSwizzle");
        if (l2Promotion is < TensorMapL2Promotion.None or > TensorMapL2Promotion.Bytes256) throw Invalid($"L2 promotion {(int)l2Promotion} is not a CUtensorMapL2promotion");
        for (int d = 0; d < rank; d++)
        {
            if (globalDims[d] is 0 or > 1UL << 32) throw Invalid($"global dimension {d} is {globalDims[d]}; it must be 1 to 2^32");
            if (boxDims[d] is 0 or > 256) throw Invalid($"box dimension {d} is {boxDims[d]}; it must be 1 to 256");
            if (elementStrides[d] is 0 or > 8) throw Invalid($"element stride {d} is {elementStrides[d]}; it must be 1 to 8");
        }
        for (int d = 0; d < rank - 1; d++)
            if (globalStrides[d] % 16 != 0 || globalStrides[d] >= 1UL << 40)
                throw Invalid($"the byte stride of dimension {d + 1} is {globalStrides[d]}; it must be a multiple of 16 below 2^40");
        long innerBytes = (long)boxDims[0] * elementBytes;
        if (innerBytes % 16 != 0) throw Invalid($"the box's inner dimension is {innerBytes} bytes ({boxDims[0]} × {elementBytes}); it must be a multiple of 16");
        int span = swizzle == TensorMapSwizzle.None ? 0 : 16 << (int)swizzle;
        if (span != 0 && innerBytes > span)
            throw Invalid($"the box's inner dimension is {innerBytes} bytes, more than the {span}-byte span of swizzle {swizzle}");

        var bytes = new byte[TensorMap.Size];
        var span128 = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span128, address.Address);
        for (int d = 0; d < rank; d++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span128[(8 + 8 * d)..], globalDims[d]);
            BinaryPrimitives.WriteUInt32LittleEndian(span128[(80 + 4 * d)..], boxDims[d]);
            BinaryPrimitives.WriteUInt32LittleEndian(span128[(100 + 4 * d)..], elementStrides[d]);
        }
        for (int d = 0; d < rank - 1; d++) BinaryPrimitives.WriteUInt64LittleEndian(span128[(48 + 8 * d)..], globalStrides[d]);
        bytes[120] = (byte)rank;
        bytes[121] = (byte)type;
        bytes[122] = (byte)swizzle;
        bytes[123] = (byte)l2Promotion;
        BinaryPrimitives.WriteUInt32LittleEndian(span128[124..], Marker);
        return new TensorMap(bytes);
    }

    /// <summary>Reads the 128 bytes of a map this encoder wrote; null when they are not one (no marker).</summary>
    public static SoftwareTensorMap? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != TensorMap.Size || BinaryPrimitives.ReadUInt32LittleEndian(bytes[124..]) != Marker) return null;
        int rank = bytes[120];
        var type = (TensorMapDataType)bytes[121];
        var dims = new ulong[rank];
        var strides = new ulong[rank];
        var box = new uint[rank];
        var steps = new uint[rank];
        strides[0] = (ulong)ElementSize(type);
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 + 8 * d)..]);
            box[d] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(80 + 4 * d)..]);
            steps[d] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(100 + 4 * d)..]);
            if (d > 0) strides[d] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(48 + 8 * (d - 1))..]);
        }
        return new SoftwareTensorMap(BinaryPrimitives.ReadUInt64LittleEndian(bytes), rank, type, dims, strides, box, steps, (TensorMapSwizzle)bytes[122]);
    }
}
