using System.Buffers.Binary;
using System.Text;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.Safetensors;

/// <summary>
/// Each malformed case is crafted byte by byte here and must be refused with a
/// <see cref="SafetensorsFormatException"/> whose message names the file, the tensor (when one is
/// concerned) and the exact absolute byte offset computed below from the crafted layout.
/// </summary>
public sealed class SafetensorsMalformedFileTests : IDisposable
{
    readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Writes [8-byte LE header length][header][data] and returns the path.</summary>
    string Craft(string header, int dataBytes, ulong? declaredHeaderLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        string path = _folder.File(Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static SafetensorsFormatException Refused(string path, string? tensor, long offset, string expectedProblem)
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, error.File);
        Assert.Equal(tensor, error.Tensor);
        Assert.Equal(offset, error.Offset);
        Assert.Contains($"'{path}'", error.Message);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}'", error.Message);
        Assert.Contains($"byte {offset}:", error.Message);
        Assert.Contains(expectedProblem, error.Message);
        return error;
    }

    /// <summary>Absolute offset of the first occurrence of <paramref name="text"/> in the header.</summary>
    static long At(string header, string text) => 8 + Encoding.UTF8.GetByteCount(header[..header.IndexOf(text, StringComparison.Ordinal)]);

    const string OneFloat = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    [Fact]
    public void ValidCraftedFileOpens()
    {
        using var file = SafetensorsFile.Open(Craft(OneFloat, 4));
        Assert.Equal([0f], file.ReadFloat32("a"));
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        string path = _folder.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Refused(path, null, 0, "fewer than the 8-byte header length");
    }

    [Fact]
    public void HeaderLengthBeyondTheFile() =>
        Refused(Craft(OneFloat, 4, declaredHeaderLength: 1000), null, 0, "header length 1000 goes beyond the end of the file");

    [Fact]
    public void HugeHeaderLengthIsCheckedBeforeAnyAllocation() =>
        Refused(Craft(OneFloat, 4, declaredHeaderLength: ulong.MaxValue), null, 0, "goes beyond the end of the file");

    [Fact]
    public void TruncatedJson()
    {
        // The reader reports the end of the last complete token: here the dtype string, before the dangling comma.
        string header = "{\"a\":{\"dtype\":\"F32\",";
        Refused(Craft(header, 0), null, 8 + header.Length - 1, "invalid JSON in the header");
    }

    [Fact]
    public void GarbageAfterTheHeaderObject()
    {
        string header = OneFloat + "xx";
        Refused(Craft(header, 4), null, 8 + OneFloat.Length, "invalid JSON in the header");
    }

    [Fact]
    public void HeaderThatIsNotAnObject() =>
        Refused(Craft("[1, 2]  ", 0), null, 8, "not a JSON object");

    [Fact]
    public void UnknownDtype()
    {
        string header = "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}";
        Refused(Craft(header, 4), "a", At(header, "\"dtype\""), "unknown dtype 'F8_E4M3'");
    }

    [Fact]
    public void ShapeTimesDtypeSizeDiffersFromTheByteRange()
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        Refused(Craft(header, 20), "w", At(header, "\"w\""), "shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20");
    }

    [Fact]
    public void ShapeTooLargeToAddressIsRefusedWithoutAllocating()
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}";
        Refused(Craft(header, 4), "w", At(header, "\"w\""), "too large to address");
    }

    [Fact]
    public void OffsetsOutsideTheDataArea()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Refused(Craft(header, 4), "a", 8 + header.Length, "outside the data area of 4 bytes");
    }

    [Fact]
    public void OffsetsThatEndBeforeTheyBegin()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        Refused(Craft(header, 4), "a", At(header, "\"a\""), "end before they begin");
    }

    [Fact]
    public void OverlappingTensors()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var error = Refused(Craft(header, 12), "b", 8 + header.Length + 4, "overlap tensor 'a' [0, 8]");
        Assert.Contains("data_offsets [4, 12]", error.Message);
    }

    [Fact]
    public void GapBetweenTensors()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Refused(Craft(header, 12), "b", 8 + header.Length + 4, "gap of 4 unused bytes");
    }

    [Fact]
    public void BytesAfterTheLastTensor() =>
        Refused(Craft(OneFloat, 8), null, 8 + OneFloat.Length + 4, "4 bytes after the last tensor");

    [Fact]
    public void DuplicateTensorNames()
    {
        string entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        string header = "{\"a\":" + entry + ",\"a\":" + entry + "}";
        Refused(Craft(header, 4), "a", 8 + 5 + entry.Length + 1, "appears twice");
    }

    [Fact]
    public void MissingDataOffsets()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}";
        Refused(Craft(header, 0), "a", At(header, "\"a\""), "no \"data_offsets\"");
    }

    [Fact]
    public void NegativeShapeDimension()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        Refused(Craft(header, 4), "a", At(header, "-1"), "not a non-negative 64-bit integer");
    }

    [Fact]
    public void MetadataValueThatIsNotAString()
    {
        string header = "{\"__metadata__\":{\"epoch\":3}," + OneFloat[1..];
        Refused(Craft(header, 4), null, At(header, "\"epoch\""), "value of 'epoch' is not a string");
    }

    [Fact]
    public void EmptyFileOfTensorsWithLeftoverData() =>
        Refused(Craft("{}", 3), null, 8 + 2, "3 bytes after the last tensor");
}
