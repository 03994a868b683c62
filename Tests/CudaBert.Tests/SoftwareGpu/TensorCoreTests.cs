using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// <c>mma.sync</c> and <c>ldmatrix</c> against C#: fragments are built from whole matrices with the
/// PTX ISA's fragment tables, and the warp's result is compared with a matmul in double of the
/// inputs as the tensor core reads them (tf32: the top 19 bits of each register, i.e. truncated).
/// Tolerance: 2^-22 relative to the sum of |products| plus |c| (hardware accumulates in at least f32).
/// </summary>
public class TensorCoreTests
{
    /// <summary>One warp: loads A, B, C fragments per lane from global memory, runs the mma, stores D.</summary>
    static string MmaKernel(string shape, string types) => Ptx.Module("mma", """
        .param .u64 mma_param_0,
        .param .u64 mma_param_1,
        .param .u64 mma_param_2,
        .param .u64 mma_param_3
        """, $$"""
        .reg .b32 %r<16>;
        .reg .f32 %f<16>;
        .reg .b64 %rd<16>;
        ld.param.u64 %rd1, [mma_param_0];
        ld.param.u64 %rd2, [mma_param_1];
        ld.param.u64 %rd3, [mma_param_2];
        ld.param.u64 %rd4, [mma_param_3];
        mov.u32 %r1, %laneid;
        mul.wide.u32 %rd5, %r1, 16;
        mul.wide.u32 %rd6, %r1, 8;
        add.s64 %rd7, %rd1, %rd5;
        add.s64 %rd8, %rd2, %rd6;
        add.s64 %rd9, %rd3, %rd5;
        add.s64 %rd10, %rd4, %rd5;
        ld.global.v4.u32 {%r2, %r3, %r4, %r5}, [%rd7];
        ld.global.v2.u32 {%r6, %r7}, [%rd8];
        ld.global.v4.f32 {%f1, %f2, %f3, %f4}, [%rd9];
        mma.sync.aligned.{{shape}}.row.col.f32.{{types}}.f32 {%f5, %f6, %f7, %f8}, {%r2, %r3, %r4, %r5}, {%r6, %r7}, {%f1, %f2, %f3, %f4};
        st.global.v4.f32 [%rd10], {%f5, %f6, %f7, %f8};
        ret;
        """);

    /// <summary>Row of C/D element i (0..3) of a lane, per the ISA's table for m16n8 accumulators.</summary>
    static (int Row, int Col) AccumulatorPosition(int lane, int i) => (lane / 4 + (i >= 2 ? 8 : 0), lane % 4 * 2 + (i & 1));

    static float[] RunMma(string shape, string types, uint[] aFragments, uint[] bFragments, float[] cFragments)
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var a = Ptx.Upload(device, aFragments);
        var b = Ptx.Upload(device, bFragments);
        var c = Ptx.Upload(device, cFragments);
        var d = device.Allocate(4 * 128);
        device.Launch(Ptx.Load(device, "mma", MmaKernel(shape, types)), 1, 32, 0, null, new KernelArgs().Ptr(a).Ptr(b).Ptr(c).Ptr(d));
        return Ptx.Download<float>(device, d, 128);
    }

    /// <summary>
    /// Each element of D against C + A·B summed in double over <paramref name="k"/> products of the
    /// inputs as the tensor core reads them (<paramref name="a"/>(row, p), <paramref name="b"/>(p, col)),
    /// within 2^-22 of |C| plus the sum of |products|.
    /// </summary>
    static void CheckAccumulators(float[] d, float[] c, int k, Func<int, int, double> a, Func<int, int, double> b)
    {
        for (int lane = 0; lane < 32; lane++)
            for (int i = 0; i < 4; i++)
            {
                var (row, col) = AccumulatorPosition(lane, i);
                double value = c[row * 8 + col], magnitude = Math.Abs(value);
                for (int p = 0; p < k; p++)
                {
                    double product = a(row, p) * b(p, col);
                    value += product;
                    magnitude += Math.Abs(product);
                }
                AssertClose.Scalar(value, d[lane * 4 + i], $"D[{row},{col}] (lane {lane}, d{i})", absolute: magnitude * Math.ScaleB(1.0, -22));
            }
    }

    [Fact]
    public void Tf32M16n8k8MatchesMatmulOfTruncatedInputs()
    {
        float[] a = GemmReference.Random(16 * 8, 1), b = GemmReference.Random(8 * 8, 2), c = GemmReference.Random(16 * 8, 3);   // a row-major 16×8, b as B[k][n], c 16×8
        var aFrag = new uint[128];
        var bFrag = new uint[64];
        var cFrag = new float[128];
        for (int lane = 0; lane < 32; lane++)
        {
            int group = lane / 4, t = lane % 4;
            // A: a0 (group, t), a1 (group + 8, t), a2 (group, t + 4), a3 (group + 8, t + 4)
            (int, int)[] aPos = [(group, t), (group + 8, t), (group, t + 4), (group + 8, t + 4)];
            for (int i = 0; i < 4; i++) aFrag[lane * 4 + i] = BitConverter.SingleToUInt32Bits(a[aPos[i].Item1 * 8 + aPos[i].Item2]);
            // B: b0 (k = t, n = group), b1 (k = t + 4, n = group)
            bFrag[lane * 2] = BitConverter.SingleToUInt32Bits(b[t * 8 + group]);
            bFrag[lane * 2 + 1] = BitConverter.SingleToUInt32Bits(b[(t + 4) * 8 + group]);
            for (int i = 0; i < 4; i++) { var (r, col) = AccumulatorPosition(lane, i); cFrag[lane * 4 + i] = c[r * 8 + col]; }
        }
        var d = RunMma("m16n8k8", "tf32.tf32", aFrag, bFrag, cFrag);

        static double Truncated(float x) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(x) & 0xFFFF_E000);
        CheckAccumulators(d, c, 8, (row, k) => Truncated(a[row * 8 + k]), (k, col) => Truncated(b[k * 8 + col]));
    }

    [Theory]
    [InlineData("bf16"), InlineData("f16")]
    public void HalfM16n8k16MatchesMatmul(string type)
    {
        float[] a = GemmReference.Random(16 * 16, 4), b = GemmReference.Random(16 * 8, 5), c = GemmReference.Random(16 * 8, 6);
        ushort Encode(float x) => type == "bf16" ? (ushort)(BitConverter.SingleToUInt32Bits(x) >> 16) : BitConverter.HalfToUInt16Bits((Half)x);
        double Decode(ushort h) => type == "bf16" ? BitConverter.UInt32BitsToSingle((uint)h << 16) : (double)BitConverter.UInt16BitsToHalf(h);
        var aHalf = a.Select(Encode).ToArray();
        var bHalf = b.Select(Encode).ToArray();
        var aFrag = new uint[128];
        var bFrag = new uint[64];
        var cFrag = new float[128];
        for (int lane = 0; lane < 32; lane++)
        {
            int group = lane / 4, t = lane % 4;
            for (int e = 0; e < 8; e++)
            {
                // A element e: row group (+8 for e = 2, 3, 6, 7), column 2t + (e & 1) (+8 for e ≥ 4); register e / 2, low half first.
                int row = group + (e is 2 or 3 or 6 or 7 ? 8 : 0), col = t * 2 + (e & 1) + (e >= 4 ? 8 : 0);
                aFrag[lane * 4 + e / 2] |= (uint)aHalf[row * 16 + col] << (16 * (e & 1));
            }
            for (int e = 0; e < 4; e++)
            {
                // B element e: k = 2t + (e & 1) (+8 for e ≥ 2), n = group.
                int k = t * 2 + (e & 1) + (e >= 2 ? 8 : 0);
                bFrag[lane * 2 + e / 2] |= (uint)bHalf[k * 8 + group] << (16 * (e & 1));
            }
            for (int i = 0; i < 4; i++) { var (r, col) = AccumulatorPosition(lane, i); cFrag[lane * 4 + i] = c[r * 8 + col]; }
        }
        var d = RunMma("m16n8k16", $"{type}.{type}", aFrag, bFrag, cFrag);

        CheckAccumulators(d, c, 16, (row, k) => Decode(aHalf[row * 16 + k]), (k, col) => Decode(bHalf[k * 8 + col]));
    }

    /// <summary>
    /// ldmatrix: lane l supplies the address of row l % 8 of matrix l / 8. The four 8×8 matrices of
    /// 16-bit values sit in shared memory with a row stride of 48 bytes (not 16, to prove the
    /// per-row addresses are used). Lane l must receive row l/4, columns 2(l%4), 2(l%4)+1 of each
    /// matrix (.trans: of its transpose), low half first.
    /// </summary>
    [Theory]
    [InlineData(1, false), InlineData(2, false), InlineData(4, false), InlineData(4, true), InlineData(2, true)]
    public void LdmatrixDistributesRowsAsTheIsaDescribes(int count, bool transpose)
    {
        string registers = string.Join(", ", Enumerable.Range(0, count).Select(i => $"%r{10 + i}"));
        string stores = string.Join("\n", Enumerable.Range(0, count).Select(i => $"st.global.u32 [%rd5+{4 * i}], %r{10 + i};"));
        var ptx = Ptx.Module("ldm", ".param .u64 ldm_param_0,\n.param .u64 ldm_param_1", $$"""
            .reg .pred %p<2>;
            .reg .b16 %rs<2>;
            .reg .b32 %r<16>;
            .reg .b64 %rd<8>;
            .shared .align 16 .b8 tiles[1536];
            ld.param.u64 %rd1, [ldm_param_0];
            ld.param.u64 %rd2, [ldm_param_1];
            mov.u32 %r1, %tid.x;
            mov.u32 %r2, 0;
            $L__fill:
            add.s32 %r3, %r2, %r1;
            mul.wide.u32 %rd3, %r3, 2;
            add.s64 %rd4, %rd1, %rd3;
            ld.global.u16 %rs1, [%rd4];
            mov.u32 %r4, tiles;
            shl.b32 %r5, %r3, 1;
            add.s32 %r4, %r4, %r5;
            st.shared.u16 [%r4], %rs1;
            add.s32 %r2, %r2, 32;
            setp.lt.u32 %p1, %r2, 768;
            @%p1 bra $L__fill;
            bar.warp.sync -1;
            shr.u32 %r6, %r1, 3;
            and.b32 %r7, %r1, 7;
            mul.lo.s32 %r8, %r6, 384;
            mad.lo.s32 %r8, %r7, 48, %r8;
            mov.u32 %r9, tiles;
            add.s32 %r9, %r9, %r8;
            ldmatrix.sync.aligned.m8n8.x{{count}}{{(transpose ? ".trans" : "")}}.shared.b16 {{{registers}}}, [%r9];
            mul.wide.u32 %rd6, %r1, 16;
            add.s64 %rd5, %rd2, %rd6;
            {{stores}}
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var values = Enumerable.Range(0, 768).Select(i => (ushort)(i * 7 + 1)).ToArray();
        var input = Ptx.Upload(device, values);
        var output = device.Allocate(32 * 16);
        device.Memset(output, 0, 32 * 16);
        device.Launch(Ptx.Load(device, "ldm", ptx), 1, 32, 0, null, new KernelArgs().Ptr(input).Ptr(output));
        var result = Ptx.Download<uint>(device, output, 32 * 4);

        // Element (row, col) of matrix m sits at byte m * 384 + row * 48 + col * 2.
        ushort At(int m, int row, int col) => values[(m * 384 + row * 48 + col * 2) / 2];
        for (int lane = 0; lane < 32; lane++)
            for (int m = 0; m < count; m++)
            {
                int r = lane / 4, c = lane % 4 * 2;
                uint expected = transpose
                    ? At(m, c, r) | (uint)At(m, c + 1, r) << 16
                    : At(m, r, c) | (uint)At(m, r, c + 1) << 16;
                Assert.Equal(expected, result[lane * 4 + m]);
            }
    }
}
