using System.Text;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// <c>wgmma.mma_async</c> on the software GPU, from hand-written PTX: one warpgroup copies a shared-memory
/// image that the test lays out (A 64×K and B N×K, K-major, in the layout a descriptor describes),
/// multiplies, and writes its accumulators. The layouts are built here from the PTX ISA's pictures
/// (core matrices of 8 rows × 16 bytes; the 128-byte swizzle as "chunk c of row r at chunk c ^ r % 8"),
/// independently of the interpreter's address arithmetic. Operand values are small multiples of 1/4
/// (exact in tf32, every sum exact in float32), so the expected accumulators are exact.
/// </summary>
public class WgmmaTests
{
    const int M = 64;

    /// <summary>
    /// A kernel: copy <c>words</c> 32-bit words from image to shared memory, then <paramref name="steps"/> wgmma
    /// steps (tf32 k8, or with <paramref name="bf16"/> bf16 k16 with A negated and the given imm-trans-a,
    /// imm-trans-b), each step's descriptors <paramref name="stepBytesA"/>, <paramref name="stepBytesB"/> further
    /// than the last, then store the N/2 accumulators of each thread.
    /// </summary>
    /// <remarks>
    /// With <paramref name="registersA"/> A comes from registers instead: thread i loads the 4 words of each step from
    /// word 4·(steps·i + step) of the sixth parameter, and the wgmma takes them as {a0, a1, a2, a3} (no imm-trans-a).
    /// </remarks>
    static string Kernel(int n, int steps, bool bf16 = false, int transA = 0, int transB = 0, int stepBytesA = 32, int stepBytesB = 32,
        bool registersA = false)
    {
        int regs = n / 2;
        var body = new StringBuilder();
        body.AppendLine($$"""
            .reg .pred %p<4>;
            .reg .b32 %r<12>;
            .reg .b32 %a<{{4 * steps + 1}}>;
            .reg .f32 %f<{{regs + 1}}>;
            .reg .b64 %rd<16>;
            ld.param.u64 %rd1, [wgmma_test_param_0];
            ld.param.u64 %rd2, [wgmma_test_param_1];
            ld.param.u64 %rd3, [wgmma_test_param_2];
            ld.param.u64 %rd4, [wgmma_test_param_3];
            ld.param.u32 %r1, [wgmma_test_param_4];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            mov.u32 %r2, %tid.x;
            mov.u32 %r3, image;
            mov.u32 %r4, %r2;
            $L__copy:
            setp.ge.u32 %p1, %r4, %r1;
            @%p1 bra $L__copied;
            mul.wide.u32 %rd5, %r4, 4;
            add.s64 %rd6, %rd1, %rd5;
            ld.global.u32 %r5, [%rd6];
            shl.b32 %r6, %r4, 2;
            add.s32 %r7, %r3, %r6;
            st.shared.u32 [%r7], %r5;
            add.s32 %r4, %r4, 128;
            bra.uni $L__copy;
            $L__copied:
            fence.proxy.async.shared::cta;
            bar.sync 0;
            """);
        if (registersA)
        {
            body.AppendLine("ld.param.u64 %rd11, [wgmma_test_param_5];");
            body.AppendLine("cvta.to.global.u64 %rd11, %rd11;");
            body.AppendLine($"mul.wide.u32 %rd12, %r2, {16 * steps};");
            body.AppendLine("add.s64 %rd11, %rd11, %rd12;");
            for (int i = 0; i < 4 * steps; i++) body.AppendLine($"ld.global.u32 %a{i + 1}, [%rd11+{4 * i}];");
        }
        // Accumulators start at 7: the first step has scale-d = false, so they must not count.
        for (int i = 1; i <= regs; i++) body.AppendLine($"mov.f32 %f{i}, 0f40E00000;");
        string d = "{" + string.Join(", ", Enumerable.Range(1, regs).Select(i => $"%f{i}")) + "}";
        body.AppendLine("wgmma.fence.sync.aligned;");
        for (int step = 0; step < steps; step++)
        {
            // K-major: the next step starts 32 bytes further along each row, + 2 in the descriptor's address field.
            body.AppendLine($"add.s64 %rd7, %rd3, {stepBytesA / 16 * step};");
            body.AppendLine($"add.s64 %rd8, %rd4, {stepBytesB / 16 * step};");
            body.AppendLine(step == 0 ? "setp.ne.s32 %p2, %r2, %r2;" : "setp.eq.s32 %p2, %r2, %r2;");   // false, then true
            string a = registersA ? "{" + string.Join(", ", Enumerable.Range(4 * step + 1, 4).Select(i => $"%a{i}")) + "}" : "%rd7";
            body.AppendLine((bf16, registersA) switch
            {
                (true, false) => $"wgmma.mma_async.sync.aligned.m64n{n}k16.f32.bf16.bf16 {d}, {a}, %rd8, %p2, -1, 1, {transA}, {transB};",
                (true, true) => $"wgmma.mma_async.sync.aligned.m64n{n}k16.f32.bf16.bf16 {d}, {a}, %rd8, %p2, 1, 1, {transB};",
                _ => $"wgmma.mma_async.sync.aligned.m64n{n}k8.f32.tf32.tf32 {d}, {a}, %rd8, %p2, 1, 1;",
            });
        }
        body.AppendLine("wgmma.commit_group.sync.aligned;");
        body.AppendLine("wgmma.wait_group.sync.aligned 0;");
        body.AppendLine($"mul.wide.u32 %rd9, %r2, {4 * regs};");
        body.AppendLine("add.s64 %rd10, %rd2, %rd9;");
        for (int i = 0; i < regs; i++) body.AppendLine($"st.global.f32 [%rd10+{4 * i}], %f{i + 1};");
        body.AppendLine("ret;");
        return $$"""
            .version 8.4
            .target sm_90a
            .address_size 64

            .extern .shared .align 1024 .b8 image[];

            .visible .entry wgmma_test(
            	.param .u64 wgmma_test_param_0,
            	.param .u64 wgmma_test_param_1,
            	.param .u64 wgmma_test_param_2,
            	.param .u64 wgmma_test_param_3,
            	.param .u32 wgmma_test_param_4,
            	.param .u64 wgmma_test_param_5
            )
            {
            {{body}}
            }
            """;
    }

    static ulong Descriptor(uint start, uint leading, uint stride, uint swizzle) =>
        (ulong)(start >> 4) | (ulong)(leading >> 4) << 16 | (ulong)(stride >> 4) << 32 | (ulong)swizzle << 62;

    static float AValue(int r, int k) => ((r * 3 + k * 5) % 7 - 3) * 0.25f;
    static float BValue(int n, int k) => ((n * 5 + k * 3) % 9 - 4) * 0.5f;

    /// <summary>Runs the kernel and checks every thread's accumulators against the PTX ISA's fragment layout of D.</summary>
    static void RunAndCheck(int n, int k, byte[] image, ulong descriptorA, ulong descriptorB) =>
        RunAndCheck(n, k, image, descriptorA, descriptorB, Kernel(n, k / 8), sign: 1);

    static void RunAndCheck(int n, int k, byte[] image, ulong descriptorA, ulong descriptorB, string ptx, float sign, uint[]? registersA = null)
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "wgmma_test", ptx);
        var words = new uint[image.Length / 4];
        Buffer.BlockCopy(image, 0, words, 0, image.Length);
        var dImage = Ptx.Upload(device, words);
        var dRegisters = Ptx.Upload(device, registersA ?? [0]);
        var dOut = device.Allocate(128L * n / 2 * 4);
        device.SetMaxDynamicSharedBytes(kernel, image.Length);
        device.Launch(kernel, 1, 128, image.Length, null,
            new KernelArgs().Ptr(dImage).Ptr(dOut).U64(descriptorA).U64(descriptorB).I32(words.Length).Ptr(dRegisters));
        var result = Ptx.Download<float>(device, dOut, 128 * n / 2);

        // D fragments: warp w holds rows 16w .. 16w + 15; register 4j + e of lane 4g + t holds
        // row 16w + g (+8 for e ≥ 2), column 8j + 2t + (e & 1).
        for (int thread = 0; thread < 128; thread++)
        {
            int warp = thread / 32, g = thread % 32 / 4, t = thread % 4;
            for (int j = 0; j < n / 8; j++)
            for (int e = 0; e < 4; e++)
            {
                int row = 16 * warp + g + (e >= 2 ? 8 : 0), col = 8 * j + 2 * t + (e & 1);
                float expected = 0;
                for (int i = 0; i < k; i++) expected += sign * AValue(row, i) * BValue(col, i);
                Assert.True(expected == result[thread * n / 2 + 4 * j + e],
                    $"D[{row}][{col}] (thread {thread}, register {4 * j + e}): expected {expected}, got {result[thread * n / 2 + 4 * j + e]}");
            }
        }
    }

    static void Put(byte[] image, int offset, float value) => BitConverter.TryWriteBytes(image.AsSpan(offset, 4), value);

    static void PutBf16(byte[] image, int offset, float value) =>
        BitConverter.TryWriteBytes(image.AsSpan(offset, 2), (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16));

    [Fact]
    public void CoreMatricesWithoutSwizzle()
    {
        // m64n16k8. A: 8-row groups 128 bytes apart (SBO), the two 16-byte halves of k 1024 bytes
        // apart (LBO). B, at 2048: the other way round, halves of k adjacent (LBO 128), 8-row groups
        // 256 apart (SBO) — so swapping the two fields anywhere would misplace every element.
        const int n = 16, k = 8, bBase = 2048;
        var image = new byte[bBase + 2 * 256];
        for (int r = 0; r < M; r++)
        for (int i = 0; i < k; i++)
            Put(image, r / 8 * 128 + i / 4 * 1024 + r % 8 * 16 + i % 4 * 4, AValue(r, i));
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            Put(image, bBase + col / 8 * 256 + i / 4 * 128 + col % 8 * 16 + i % 4 * 4, BValue(col, i));
        RunAndCheck(n, k, image, Descriptor(0, 1024, 128, 0), Descriptor(bBase, 128, 256, 0));
    }

    [Fact]
    public void Swizzle128WithFourKSteps()
    {
        // m64n24k8 four times along a 128-byte row of 32 floats: row r at r·128 (8-row atoms of
        // 1024 bytes, SBO 1024), its 16-byte chunk c stored at chunk c ^ (r % 8). B at 8192.
        const int n = 24, k = 32, bBase = 8192;
        var image = new byte[bBase + n * 128];
        void Row(int start, int r, Func<int, float> value)
        {
            for (int i = 0; i < k; i++)
                Put(image, start + r * 128 + ((i / 4) ^ (r % 8)) * 16 + i % 4 * 4, value(i));
        }
        for (int r = 0; r < M; r++) Row(0, r, i => AValue(r, i));
        for (int col = 0; col < n; col++) Row(bBase, col, i => BValue(col, i));
        RunAndCheck(n, k, image, Descriptor(0, 16, 1024, 1), Descriptor(bBase, 16, 1024, 1));
    }

    [Fact]
    public void Tf32OperandsAreTruncated()
    {
        // 1 + 2⁻¹¹ · 3 has mantissa bits below tf32's 10: the tensor cores drop them (1 + 2⁻¹⁰),
        // where cvt.rna would round up (1 + 2⁻⁹). A = that value everywhere, B = 1: each D = 8 · (1 + 2⁻¹⁰).
        const int n = 8, k = 8;
        var image = new byte[2048 + 256];
        float a = 1 + 3f / 2048;
        for (int r = 0; r < M; r++)
        for (int i = 0; i < k; i++)
            Put(image, r / 8 * 128 + i / 4 * 1024 + r % 8 * 16 + i % 4 * 4, a);
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            Put(image, 2048 + i / 4 * 128 + col * 16 + i % 4 * 4, 1f);

        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "wgmma_test", Kernel(n, 1));
        var words = new uint[image.Length / 4];
        Buffer.BlockCopy(image, 0, words, 0, image.Length);
        var dImage = Ptx.Upload(device, words);
        var dOut = device.Allocate(128 * 4 * 4);
        device.Launch(kernel, 1, 128, image.Length, null,
            new KernelArgs().Ptr(dImage).Ptr(dOut).U64(Descriptor(0, 1024, 128, 0)).U64(Descriptor(2048, 128, 128, 0)).I32(words.Length).Ptr(dImage));
        Assert.All(Ptx.Download<float>(device, dOut, 128 * 4), d => Assert.Equal(8 * (1 + 1f / 1024), d));
    }

    [Fact]
    public void Bf16CoreMatricesWithANegatedA()
    {
        // m64n8k16.bf16 with imm-scale-a = -1: D = -A·Bᵀ. A core-matrix row holds 8 bf16 (16 bytes);
        // the two halves of k are LBO = 1024 apart, 8-row groups SBO = 128. B (8 × 16) at 2048.
        const int n = 8, k = 16;
        var image = new byte[2048 + 256];
        for (int r = 0; r < M; r++)
        for (int i = 0; i < k; i++)
            PutBf16(image, r / 8 * 128 + i / 8 * 1024 + r % 8 * 16 + i % 8 * 2, AValue(r, i));
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            PutBf16(image, 2048 + i / 8 * 128 + col * 16 + i % 8 * 2, BValue(col, i));

        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "wgmma_test", Kernel(n, 1, bf16: true));
        var words = new uint[image.Length / 4];
        Buffer.BlockCopy(image, 0, words, 0, image.Length);
        var dImage = Ptx.Upload(device, words);
        var dOut = device.Allocate(128 * 4 * 4);
        device.Launch(kernel, 1, 128, image.Length, null,
            new KernelArgs().Ptr(dImage).Ptr(dOut).U64(Descriptor(0, 1024, 128, 0)).U64(Descriptor(2048, 128, 128, 0)).I32(words.Length).Ptr(dImage));
        var result = Ptx.Download<float>(device, dOut, 128 * 4);
        for (int thread = 0; thread < 128; thread++)
        for (int e = 0; e < 4; e++)
        {
            int row = 16 * (thread / 32) + thread % 32 / 4 + (e >= 2 ? 8 : 0), col = 2 * (thread % 4) + (e & 1);
            float expected = 0;
            for (int i = 0; i < k; i++) expected -= AValue(row, i) * BValue(col, i);
            Assert.Equal(expected, result[thread * 4 + e]);
        }
    }

    [Fact]
    public void Bf16MnMajorCoreMatricesWithoutSwizzle()
    {
        // m64n16k16.bf16 twice (k = 32), A M-major and B N-major (imm-trans-a = imm-trans-b = 1). An
        // MN-major core matrix is 8 k-rows of 16 bytes, each row 8 consecutive m (or n). A: m-groups
        // SBO = 128 apart, k-groups LBO = 1024; B at 4096: n-groups SBO = 128, k-groups LBO = 256. A
        // step of k16 is two k-groups: + 2048 bytes for A, + 512 for B.
        const int n = 16, k = 32, bBase = 4096;
        var image = new byte[bBase + 1024];
        for (int r = 0; r < M; r++)
        for (int i = 0; i < k; i++)
            PutBf16(image, r / 8 * 128 + i / 8 * 1024 + i % 8 * 16 + r % 8 * 2, AValue(r, i));
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            PutBf16(image, bBase + col / 8 * 128 + i / 8 * 256 + i % 8 * 16 + col % 8 * 2, BValue(col, i));
        RunAndCheck(n, k, image, Descriptor(0, 1024, 128, 0), Descriptor(bBase, 256, 128, 0),
            Kernel(n, k / 16, bf16: true, transA: 1, transB: 1, stepBytesA: 2048, stepBytesB: 512), sign: -1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Bf16NMajorBWith128ByteSwizzle(int transA)
    {
        // m64n128k16.bf16 twice (k = 32), B N-major with the 128-byte swizzle: a row is one k and 64
        // consecutive n (128 bytes), k-rows 128 bytes apart, 16-byte chunk c of row i stored at chunk
        // c ^ (i % 8); 8 rows make a 1024-byte atom (SBO, along K) and n 64..127 start LBO = 4096 bytes
        // after n 0..63 (the 32 k-rows of the first half). A, the same way (M-major, 64 m per row) or
        // (transA = 0) K-major: rows of 32 k (64 bytes, 64-byte swizzle, chunk c ^ (r / 2 % 4)), atoms
        // of 8 rows SBO = 512 apart. A k16 step moves two k atoms of an MN-major operand (+ 2048 bytes)
        // and 32 bytes along a K-major row.
        const int n = 128, k = 32, bBase = 8192;
        var image = new byte[bBase + 2 * 4096];
        for (int r = 0; r < M; r++)
        for (int i = 0; i < k; i++)
        {
            int offset = transA == 1
                ? i * 128 + ((r / 8) ^ (i % 8)) * 16 + r % 8 * 2
                : r * 64 + ((i / 8) ^ (r / 2 % 4)) * 16 + i % 8 * 2;
            PutBf16(image, offset, AValue(r, i));
        }
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            PutBf16(image, bBase + col / 64 * 4096 + i * 128 + ((col % 64 / 8) ^ (i % 8)) * 16 + col % 8 * 2, BValue(col, i));
        ulong a = transA == 1 ? Descriptor(0, 16, 1024, 1) : Descriptor(0, 16, 512, 2);
        RunAndCheck(n, k, image, a, Descriptor(bBase, 4096, 1024, 1),
            Kernel(n, k / 16, bf16: true, transA: transA, transB: 1, stepBytesA: transA == 1 ? 2048 : 32, stepBytesB: 2048), sign: -1);
    }

    /// <summary>
    /// Each thread's registers of A for <paramref name="steps"/> k-steps, written from the PTX ISA's fragment table
    /// ("Matrix Fragments for wgmma.mma_async.m64nNk16" / ".m64nNk8", A in registers): warp w, lane 4g + t, register j
    /// of a step holds row 16w + g + 8·(j % 2) and, for bf16, columns 2t + 8·(j / 2) + {0 (low half), 1 (high half)}
    /// of the step, for tf32 column t + 4·(j / 2).
    /// </summary>
    static uint[] RegisterFragmentsOfA(int steps, bool bf16)
    {
        int k = bf16 ? 16 : 8;
        var words = new uint[128 * 4 * steps];
        for (int thread = 0; thread < 128; thread++)
        for (int step = 0; step < steps; step++)
        for (int j = 0; j < 4; j++)
        {
            int row = 16 * (thread / 32) + thread % 32 / 4 + 8 * (j % 2), t = thread % 4;
            uint word = bf16
                ? Bf16Bits(AValue(row, k * step + 2 * t + 8 * (j / 2))) | (uint)Bf16Bits(AValue(row, k * step + 2 * t + 8 * (j / 2) + 1)) << 16
                : BitConverter.SingleToUInt32Bits(AValue(row, k * step + t + 4 * (j / 2)));
            words[(thread * steps + step) * 4 + j] = word;
        }
        return words;
    }

    static ushort Bf16Bits(float value) => (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16);

    [Fact]
    public void Bf16AFromRegistersTimesAnNMajorSwizzledB()
    {
        // m64n128k16.bf16 twice (k = 32), A from registers, B N-major with the 128-byte swizzle (imm-trans-b = 1),
        // laid out as in Bf16NMajorBWith128ByteSwizzle: k-rows of 64 n, chunk c of row i at c ^ (i % 8), n 64..127
        // LBO = 4096 bytes further; a k16 step is 16 k-rows (+ 2048 bytes).
        const int n = 128, k = 32;
        var image = new byte[2 * 4096];
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            PutBf16(image, col / 64 * 4096 + i * 128 + ((col % 64 / 8) ^ (i % 8)) * 16 + col % 8 * 2, BValue(col, i));
        RunAndCheck(n, k, image, 0, Descriptor(0, 4096, 1024, 1),
            Kernel(n, k / 16, bf16: true, transB: 1, stepBytesB: 2048, registersA: true), sign: 1, RegisterFragmentsOfA(k / 16, bf16: true));
    }

    [Fact]
    public void Bf16AFromRegistersTimesAKMajorB()
    {
        // m64n64k16.bf16 once, A from registers, B K-major with the 64-byte swizzle (imm-trans-b = 0): rows of 16 k
        // (32 bytes) padded to 64, chunk c of row r at c ^ (r / 2 % 4), 8-row atoms SBO = 512 apart.
        const int n = 64, k = 16;
        var image = new byte[n * 64];
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            PutBf16(image, col * 64 + ((i / 8) ^ (col / 2 % 4)) * 16 + i % 8 * 2, BValue(col, i));
        RunAndCheck(n, k, image, 0, Descriptor(0, 16, 512, 2),
            Kernel(n, 1, bf16: true, registersA: true), sign: 1, RegisterFragmentsOfA(1, bf16: true));
    }

    [Fact]
    public void Tf32AFromRegisters()
    {
        // m64n64k8.tf32 twice (k = 16), A from registers, B K-major core matrices without swizzle: 8-row groups
        // SBO = 256 apart, the two 16-byte halves of a step's k LBO = 128 apart, the next step 2048 bytes on.
        const int n = 64, k = 16;
        var image = new byte[2 * 2048];
        for (int col = 0; col < n; col++)
        for (int i = 0; i < k; i++)
            Put(image, i / 8 * 2048 + col / 8 * 256 + i % 8 / 4 * 128 + col % 8 * 16 + i % 4 * 4, BValue(col, i));
        RunAndCheck(n, k, image, 0, Descriptor(0, 128, 256, 0),
            Kernel(n, 2, stepBytesB: 2048, registersA: true), sign: 1, RegisterFragmentsOfA(2, bf16: false));
    }

    [Fact]
    public void AWarpgroupNeedsAll128Threads()
    {
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "wgmma_test", Kernel(8, 1));
        var dImage = device.Allocate(4);
        var e = Assert.Throws<CudaException>(() => device.Launch(kernel, 1, 96, 2048 + 256, null,
            new KernelArgs().Ptr(dImage).Ptr(device.Allocate(4)).U64(0).U64(0).I32(0).Ptr(dImage)));
        Assert.Contains("full warpgroup of 128 threads", e.Message);
    }
}
