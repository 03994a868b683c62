namespace CudaBert.Engine.IO;

/// <summary>
/// One header entry: a tensor's name, element type, shape and where its bytes are.
/// <see cref="DataBegin"/> and <see cref="DataEnd"/> are the header's "data_offsets": relative to the
/// start of the data area (which begins right after the header), end exclusive.
/// </summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long DataBegin, long DataEnd)
{
    /// <summary>Number of elements: the product of the shape (1 for a scalar, shape []).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Shape) count *= d;
            return count;
        }
    }

    /// <summary>Size of the tensor's data in bytes.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The shape as it would be printed, e.g. "[384, 1536]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
