using CudaBert.Engine.IO;

namespace CudaBert.Tests.Safetensors;

/// <summary>
/// "Never crash": corrupting bytes of a valid file must either still give a valid file or be refused
/// with a <see cref="SafetensorsFormatException"/>, never any other exception.
/// </summary>
public class SafetensorsCorruptionTests
{
    [Fact]
    public void RandomByteCorruptionIsEitherReadOrRefusedCleanly()
    {
        using var folder = new TemporaryFolder();
        string original = folder.File("valid.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("weight", [2, 3], new float[] { 1, 2, 3, 4, 5, 6 });
        writer.Add("ids", [4], new long[] { 1, 2, 3, 4 });
        writer.Add("mask", SafetensorsDType.Bool, [3], new byte[] { 1, 0, 1 });
        writer.Metadata["format"] = "pt";
        writer.Save(original);
        byte[] valid = File.ReadAllBytes(original);

        var random = new System.Random(1234);
        string corrupted = folder.File("corrupted.safetensors");
        int refused = 0;
        for (int trial = 0; trial < 250; trial++)
        {
            byte[] bytes = (byte[])valid.Clone();
            // Mostly the length prefix and the header, where the structure is; sometimes a truncation.
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
                bytes[random.Next(Math.Min(bytes.Length, 8 + 200))] = (byte)random.Next(256);
            int length = random.Next(10) == 0 ? random.Next(bytes.Length) : bytes.Length;
            File.WriteAllBytes(corrupted, bytes[..length]);
            try
            {
                using var file = SafetensorsFile.Open(corrupted);
                foreach (var info in file.Tensors) file.GetBytes(info.Name);
            }
            catch (SafetensorsFormatException e)
            {
                Assert.Contains(corrupted, e.Message);
                refused++;
            }
        }
        Assert.True(refused > 60, $"only {refused} of 250 corruptions were refused; the test is not exercising the validator");
    }
}
