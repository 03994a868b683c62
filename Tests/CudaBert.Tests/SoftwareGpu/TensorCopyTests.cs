using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// Tensor maps (<see cref="ICudaDevice.EncodeTiledTensorMap"/>) and <c>cp.async.bulk.tensor</c> on the
/// software GPU, from hand-written PTX in the shape NVRTC emits for a <c>const __grid_constant__</c> map
/// (<c>mov.b64</c> of the parameter, <c>cvta.param</c>): thread 0 announces the box's bytes on an mbarrier
/// and starts the copy, every thread waits for the phase and copies one 32-bit word of the shared box to
/// out[tid]. The expected layouts are written here from the PTX ISA's description of the swizzle modes
/// (chunks of 16 bytes XORed with the row index in the pattern), independently of the interpreter.
/// </summary>
public class TensorCopyTests
{
    /// <summary>The kernel for a 2-D box of <paramref name="boxBytes"/> bytes: one thread per word of the box.</summary>
    static string Kernel(int boxBytes, string announce) => $$"""
        .version 8.4
        .target sm_90a
        .address_size 64

        .shared .align 8 .b64 barrier_object;
        .shared .align 1024 .b8 box[{{boxBytes}}];

        .visible .entry tensor_copy(
        	.param .align 64 .b8 tensor_copy_param_0[128],
        	.param .u32 tensor_copy_param_1,
        	.param .u32 tensor_copy_param_2,
        	.param .u64 tensor_copy_param_3
        )
        {
        .reg .pred %p<4>;
        .reg .b32 %r<10>;
        .reg .b64 %rd<10>;
        mov.b64 %rd1, tensor_copy_param_0;
        cvta.param.u64 %rd2, %rd1;
        ld.param.u32 %r8, [tensor_copy_param_1];
        ld.param.u32 %r9, [tensor_copy_param_2];
        ld.param.u64 %rd3, [tensor_copy_param_3];
        cvta.to.global.u64 %rd3, %rd3;
        mov.u32 %r1, %tid.x;
        mov.u32 %r2, barrier_object;
        mov.u32 %r3, box;
        setp.ne.s32 %p1, %r1, 0;
        @%p1 bra $L__initialized;
        mbarrier.init.shared::cta.b64 [%r2], 1;
        $L__initialized:
        bar.sync 0;
        @%p1 bra $L__issued;
        {{announce}}
        cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r3], [%rd2, {%r8, %r9}], [%r2];
        $L__issued:
        mbarrier.try_wait.parity.shared::cta.b64 %p2, [%r2], 0;
        @!%p2 bra $L__issued;
        shl.b32 %r4, %r1, 2;
        add.s32 %r5, %r3, %r4;
        ld.shared.u32 %r6, [%r5];
        mul.wide.u32 %rd4, %r1, 4;
        add.s64 %rd5, %rd3, %rd4;
        st.global.u32 [%rd5], %r6;
        ret;
        }
        """;

    /// <summary>A rows × columns float tensor with rows <paramref name="pitch"/> floats apart: element (r, c) = 1000 r + c + 1.</summary>
    static float[] Tensor(int rows, int columns, int pitch)
    {
        var t = new float[rows * pitch];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) t[r * pitch + c] = 1000 * r + c + 1;
        return t;
    }

    /// <summary>Copies the box of <paramref name="boxColumns"/> × <paramref name="boxRows"/> floats at (column, row) and returns the shared box's words.</summary>
    static float[] CopyBox(SoftwareGpuDevice device, int rows, int columns, int pitch, int boxColumns, int boxRows, int column, int row,
        TensorMapSwizzle swizzle, string? announce = null)
    {
        int boxBytes = boxColumns * boxRows * 4;
        var tensor = Ptx.Upload(device, Tensor(rows, columns, pitch));
        var map = device.EncodeTiledTensorMap(TensorMapDataType.Float32, tensor, [(ulong)columns, (ulong)rows], [(ulong)pitch * 4],
            [(uint)boxColumns, (uint)boxRows], [1, 1], swizzle);
        var kernel = Ptx.Load(device, "tensor_copy", Kernel(boxBytes, announce ?? $"mbarrier.arrive.expect_tx.shared::cta.b64 %rd6, [%r2], {boxBytes};"));
        var output = device.Allocate(boxBytes);
        device.Launch(kernel, 1, boxBytes / 4, 0, null, new KernelArgs().TensorMap(map).I32(column).I32(row).Ptr(output));
        return Ptx.Download<float>(device, output, boxBytes / 4);
    }

    static SoftwareGpuDevice Hopper() => new(new SanitizerOptions { ThrowOnReport = true, CheckUninitializedReads = true }, computeCapabilityMajor: 9);

    [Fact]
    public void ABoxInsideTheTensorLandsRowAfterRow()
    {
        using var device = Hopper();
        // 10 × 40 floats, rows 48 floats apart (the padding is never read); the 8 × 4 box at column 4, row 3.
        var box = CopyBox(device, rows: 10, columns: 40, pitch: 48, boxColumns: 8, boxRows: 4, column: 4, row: 3, TensorMapSwizzle.None);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 8; c++)
                Assert.Equal(1000 * (3 + r) + (4 + c) + 1, box[r * 8 + c]);
    }

    [Fact]
    public void ElementsOutsideTheTensorAreZeros()
    {
        using var device = Hopper();
        // The box at column 36, row −2 hangs over the right edge (columns 40..43) and the top (rows −2, −1).
        var box = CopyBox(device, rows: 10, columns: 40, pitch: 48, boxColumns: 8, boxRows: 4, column: 36, row: -2, TensorMapSwizzle.None);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 8; c++)
            {
                int row = r - 2, column = 36 + c;
                float expected = row >= 0 && column < 40 ? 1000 * row + column + 1 : 0;
                Assert.Equal(expected, box[r * 8 + c]);
            }
    }

    [Theory]
    [InlineData(TensorMapSwizzle.Bytes32, 32)]
    [InlineData(TensorMapSwizzle.Bytes64, 64)]
    [InlineData(TensorMapSwizzle.Bytes128, 128)]
    public void EachSwizzleMovesTheSixteenByteChunksOfARow(TensorMapSwizzle swizzle, int span)
    {
        using var device = Hopper();
        // Rows of `span` bytes (span / 4 floats), 8 of them. The PTX ISA's patterns: the swizzle repeats
        // every 8 · span bytes, i.e. over 128-byte lines of 128 / span rows each; chunk j of row r is stored
        // at chunk j XOR (line index of r, modulo the span's number of chunks).
        int columns = span / 4, rowsPerLine = 128 / span, chunks = span / 16;
        var box = CopyBox(device, rows: 12, columns: 40, pitch: 44, boxColumns: columns, boxRows: 8, column: 2, row: 1, swizzle);
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < columns; c++)
            {
                int chunk = c / 4, stored = chunk ^ (r / rowsPerLine % chunks);
                Assert.Equal(1000 * (1 + r) + (2 + c) + 1, box[r * columns + stored * 4 + c % 4]);
            }
    }

    [Fact]
    public void BytesNoExpectTxAnnouncedAreReported()
    {
        // A plain arrive completes the phase at once: the waiters read the box before it lands.
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        Assert.Throws<CudaException>(() => CopyBox(device, 10, 40, 48, 8, 4, 0, 0, TensorMapSwizzle.None,
            announce: "mbarrier.arrive.shared::cta.b64 %rd6, [%r2];"));
        Assert.Contains(device.Reports, r => r.Message.Contains("no expect_tx announced them"));
    }

    [Fact]
    public void TooManyAnnouncedBytesAreADeadlock()
    {
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        Assert.Throws<CudaException>(() => CopyBox(device, 10, 40, 48, 8, 4, 0, 0, TensorMapSwizzle.None,
            announce: "mbarrier.arrive.expect_tx.shared::cta.b64 %rd6, [%r2], 256;"));
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.Deadlock, report.Check);
        Assert.Contains("128 transaction byte(s) still missing", report.Message);
    }

    [Fact]
    public void ACoordinateCountOtherThanTheRankIsRejectedAtLoad()
    {
        using var device = Hopper();
        string ptx = Kernel(128, "").Replace("cp.async.bulk.tensor.2d", "cp.async.bulk.tensor.3d");
        var e = Assert.Throws<CudaException>(() => Ptx.Load(device, "tensor_copy", ptx));
        Assert.Equal("CUDA_ERROR_INVALID_PTX", e.ErrorName);
        Assert.Contains("[tensor map, {3 coordinates}]", e.Message);
    }

    public static TheoryData<string, Func<ICudaDevice, DevicePtr, TensorMap>> BrokenRules => new()
    {
        { "not 16-byte aligned", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p.Offset(4), [40, 10], [192], [8, 4], [1, 1], TensorMapSwizzle.None) },
        { "must be a multiple of 16 below 2^40", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [40, 10], [164], [8, 4], [1, 1], TensorMapSwizzle.None) },
        { "box dimension 1 is 257", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [40, 300], [192], [8, 257], [1, 1], TensorMapSwizzle.None) },
        { "inner dimension is 24 bytes", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [40, 10], [192], [6, 4], [1, 1], TensorMapSwizzle.None) },
        { "more than the 64-byte span", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [40, 10], [192], [32, 4], [1, 1], TensorMapSwizzle.Bytes64) },
        { "element stride 1 is 9", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [40, 10], [192], [8, 4], [1, 9], TensorMapSwizzle.None) },
        { "global dimension 0 is 0", (d, p) => d.EncodeTiledTensorMap(TensorMapDataType.Float32, p, [0, 10], [192], [8, 4], [1, 1], TensorMapSwizzle.None) },
    };

    [Theory, MemberData(nameof(BrokenRules))]
    public void EncodingFollowsTheDriversRules(string rule, Func<ICudaDevice, DevicePtr, TensorMap> encode)
    {
        using var device = Hopper();
        var tensor = device.Allocate(4096);
        var e = Assert.Throws<CudaException>(() => encode(device, tensor));
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.ErrorName);
        Assert.Equal("cuTensorMapEncodeTiled", e.Call);
        Assert.Contains(rule, e.Message);
    }
}
