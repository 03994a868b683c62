using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// Runs a short PTX snippet once per input on the software GPU: thread i loads the raw 64-bit
/// values a[i], b[i], c[i] into %rd7, %rd8, %rd9, runs the snippet, and stores %rd10 to d[i].
/// Registers available to snippets: %p0-%p7, %r0-%r31, %rs0-%rs15, %f0-%f15, %fd0-%fd7, %rd0-%rd31.
/// </summary>
static class OneInstruction
{
    public static ulong[] Run(string snippet, ulong[] a, ulong[]? b = null, ulong[]? c = null)
    {
        b ??= new ulong[a.Length];
        c ??= new ulong[a.Length];
        var ptx = Ptx.Module("one", """
            .param .u64 one_param_0,
            .param .u64 one_param_1,
            .param .u64 one_param_2,
            .param .u64 one_param_3,
            .param .u32 one_param_4
            """, $$"""
            .reg .pred %p<8>;
            .reg .b16 %rs<16>;
            .reg .b32 %r<32>;
            .reg .f32 %f<16>;
            .reg .f64 %fd<8>;
            .reg .b64 %rd<32>;
            ld.param.u64 %rd1, [one_param_0];
            ld.param.u64 %rd2, [one_param_1];
            ld.param.u64 %rd3, [one_param_2];
            ld.param.u64 %rd4, [one_param_3];
            ld.param.u32 %r30, [one_param_4];
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %tid.x;
            mad.lo.s32 %r31, %r1, %r2, %r3;
            setp.ge.u32 %p7, %r31, %r30;
            @%p7 bra $L__done;
            mul.wide.u32 %rd5, %r31, 8;
            add.s64 %rd11, %rd1, %rd5;
            add.s64 %rd12, %rd2, %rd5;
            add.s64 %rd13, %rd3, %rd5;
            add.s64 %rd14, %rd4, %rd5;
            ld.global.u64 %rd7, [%rd11];
            ld.global.u64 %rd8, [%rd12];
            ld.global.u64 %rd9, [%rd13];
            {{snippet}}
            st.global.u64 [%rd14], %rd10;
            $L__done:
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var kernel = Ptx.Load(device, "one", ptx);
        var pa = Ptx.Upload(device, a);
        var pb = Ptx.Upload(device, b);
        var pc = Ptx.Upload(device, c);
        var pd = device.Allocate(8L * a.Length);
        device.Launch(kernel, (a.Length + 255) / 256, 256, 0, null, new KernelArgs().Ptr(pa).Ptr(pb).Ptr(pc).Ptr(pd).U32((uint)a.Length));
        return Ptx.Download<ulong>(device, pd, a.Length);
    }

    /// <summary>A snippet applying the f32 instruction <paramref name="opcode"/> to a (and b, c when <paramref name="operands"/> says so).</summary>
    public static string F32(string opcode, int operands) => $"""
        cvt.u32.u64 %r4, %rd7;
        mov.b32 %f1, %r4;
        cvt.u32.u64 %r5, %rd8;
        mov.b32 %f2, %r5;
        cvt.u32.u64 %r6, %rd9;
        mov.b32 %f3, %r6;
        {opcode} %f4, {string.Join(", ", new[] { "%f1", "%f2", "%f3" }.Take(operands))};
        mov.b32 %r7, %f4;
        cvt.u64.u32 %rd10, %r7;
        """;

    /// <summary>A snippet applying the 32-bit integer instruction <paramref name="opcode"/> to a, b, c (low 32 bits), result zero-extended.</summary>
    public static string B32(string opcode, int operands) => $"""
        cvt.u32.u64 %r4, %rd7;
        cvt.u32.u64 %r5, %rd8;
        cvt.u32.u64 %r6, %rd9;
        {opcode} %r7, {string.Join(", ", new[] { "%r4", "%r5", "%r6" }.Take(operands))};
        cvt.u64.u32 %rd10, %r7;
        """;

    /// <summary>Random floats with varied exponents and signs (never zero), some of them subnormal.</summary>
    public static float[] RandomFloats(int n, int seed, int minExponent = -30, int maxExponent = 30)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            float f = (float)(rng.NextDouble() + 0.5) * MathF.ScaleB(1f, rng.Next(minExponent, maxExponent));
            values[i] = rng.Next(2) == 0 ? -f : f;
        }
        return values;
    }

    public static ulong[] Bits(IEnumerable<float> values) => values.Select(v => (ulong)BitConverter.SingleToUInt32Bits(v)).ToArray();
    public static ulong[] Bits(IEnumerable<uint> values) => values.Select(v => (ulong)v).ToArray();
    public static float[] Floats(ulong[] bits) => bits.Select(b => BitConverter.UInt32BitsToSingle((uint)b)).ToArray();
}
