using CudaBert.Engine;
using static CudaBert.Tests.HalfPrecision.HalfPrecisionReference;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>The CUDA backend's conversions between float32, bfloat16 and float16 (cast.cu) against the independent references, bit for bit.</summary>
[Collection(CudaBackendCollection.Name)]
public class CastPrimitiveTests(CudaTestDevice device)
{
    [Fact]
    public void NarrowingRoundsToNearestEvenAsTheReferences()
    {
        using var scope = Tensor.Scope();
        float[] values = [.. Values(), float.PositiveInfinity, float.NegativeInfinity];
        var x = Tensor.FromArray(values, [values.Length], device: Device.Cuda);
        var bfloat16 = x.To(DType.BFloat16).ToArray<BFloat16>();
        var float16 = x.To(DType.Float16).ToArray<Half>();
        for (int i = 0; i < values.Length; i++)
        {
            ushort expected = float.IsInfinity(values[i]) ? (ushort)(values[i] > 0 ? 0x7F80 : 0xFF80) : BFloat16Bits(values[i]);
            Assert.True(expected == bfloat16[i].Bits, $"bfloat16 of {values[i]:R}: expected 0x{expected:X4}, got 0x{bfloat16[i].Bits:X4}");
            Assert.True(Float16Bits(values[i]) == BitConverter.HalfToUInt16Bits(float16[i]), $"float16 of {values[i]:R}");
        }
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void EveryConversionMatchesTheCpu()
    {
        using var scope = Tensor.Scope();
        float[] values = [.. Values().Where(v => Math.Abs(v) < 60000), float.NaN];
        DType[] floats = [DType.Float32, DType.BFloat16, DType.Float16];
        foreach (var from in floats)
            foreach (var to in floats)
            {
                var cpu = Tensor.FromArray(values, [values.Length]).To(from);
                var expected = cpu.To(to).ToFloatArray();
                var actual = cpu.To(Device.Cuda).To(to).ToFloatArray();
                for (int i = 0; i < values.Length; i++)
                    if (float.IsNaN(expected[i])) Assert.True(float.IsNaN(actual[i]), $"{from}→{to}: NaN must stay NaN");
                    else Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
                        $"{from}→{to} of {values[i]:R}: CPU {expected[i]:R}, CUDA {actual[i]:R}");
            }
        device.AssertNoSanitizerFindings();
    }
}
