using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Split-K in Hopper's TF32 GEMMs (Kernels/hopper/wgmma_tf32.cuh's work units, Kernels/hopper/gemm_splitk_sum.cu),
/// on the software GPU as a compute capability 9.0 device with 3 SMs, where small shapes already split (and on a real
/// GPU of compute capability 9.x when there is one). The bound: each of the s partial sums adds at most ⌈K/s⌉ products
/// (a K-range of kr ≤ ⌈slices/s⌉·32 columns), within 2·(kr + 4)·u·Σ|a·b| over its range as every wgmma product here
/// (doubled: the tensor cores' order is unspecified); their sum in split order adds s − 1 roundings of at most
/// u·Σ|a·b| each, and α and β·C a few more: (2·(kr + 4) + s + 3)·u·(|α|·Σ|a·b| + |β·c|) for C.
/// </summary>
[Collection(HopperOptIn.Collection)]
public class GemmWgmmaSplitKTests
{
    const int Multiprocessors = 3;

    public static TheoryData<string, bool, bool, GemmEpilogue> DevicesLayoutsAndEpilogues()
    {
        var data = new TheoryData<string, bool, bool, GemmEpilogue>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var (transA, transB) in new[] { (false, true), (false, false), (true, false), (true, true) })
                foreach (var epilogue in new[] { GemmEpilogue.None, GemmEpilogue.Bias, GemmEpilogue.BiasGelu, GemmEpilogue.GeluDerivative })
                    data.Add(device, transA, transB, epilogue);
        return data;
    }

    [Theory, MemberData(nameof(DevicesLayoutsAndEpilogues))]
    public void ThreeSplitsEveryLayoutAndEpilogue(string device, bool transA, bool transB, GemmEpilogue epilogue)
    {
        // K = 196 is 7 slices of 32 (the last 4 deep): 3 splits of 3, 3 and 1 slices, so the last range is short and
        // ends in a partial slice. 2 × 2 tiles per item (the last ones partial), 2 items: 24 work units for the 3 blocks.
        // Checked: each split's partial slab against the reference over its own K-range (a wrong range offset fails
        // there), C against the whole product within the bound above, and — with no epilogue or bias alone, whose
        // arithmetic the host repeats exactly — C bit for bit against the slabs summed in split order 0, 1, 2.
        const int m = 132, n = 136, k = 196, batch = 2, splits = 3;
        int lda = transA ? m : k, ldb = transB ? k : n;
        int rowsA = transA ? k : m, rowsB = transB ? n : k;
        using var gpu = GemmWgmmaKernelTests.OpenHopper(device, Multiprocessors);
        float[] a = TestInputs.NonZero(160, batch * rowsA * lda), b = TestInputs.NonZero(161, batch * rowsB * ldb),
            bias = TestInputs.NonZero(162, n), z = TestInputs.NonZero(163, batch * m * n, scale: 3f);
        float[] before = epilogue == GemmEpilogue.GeluDerivative ? new float[batch * m * n] : TestInputs.NonZero(164, batch * m * n);
        float alpha = -0.75f, beta = epilogue == GemmEpilogue.GeluDerivative ? 0f : 1.5f;
        long workspaceBytes = (long)splits * batch * m * n * sizeof(float);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, before), dbias = new(gpu, bias), dz = new(gpu, z),
            partials = new(gpu, (int)(workspaceBytes / sizeof(float)));

        HopperGemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, lda, (long)rowsA * lda, db.Ptr, ldb, (long)rowsB * ldb,
            beta, dc.Ptr, n, (long)m * n, dbias.Ptr, epilogue, dz.Ptr, workspace: partials.Ptr, workspaceBytes: workspaceBytes, splits: splits);

        float[] result = dc.Read(), slabs = partials.Read();
        float[] a19 = Array.ConvertAll(a, GemmWgmmaKernelTests.TruncateToTf32), b19 = Array.ConvertAll(b, GemmWgmmaKernelTests.TruncateToTf32);
        const int rangeK = 3 * 32;   // ⌈7 slices / 3⌉ slices of 32
        for (int item = 0; item < batch; item++)
        {
            int itemA = item * rowsA * lda, itemB = item * rowsB * ldb, itemC = item * m * n;
            for (int split = 0; split < splits; split++)
            {
                int k0 = split * rangeK, kr = Math.Min(k, k0 + rangeK) - k0;
                var (partial, partialBound) = GemmReference.Compute(transA, transB, m, n, kr, 1f,
                    a19[(itemA + (transA ? k0 * lda : k0))..], lda, b19[(itemB + (transB ? k0 : k0 * ldb))..], ldb, 0f, new float[m * n], n);
                int slab = (split * batch + item) * m * n;
                for (int i = 0; i < m * n; i++)
                    AssertClose.Scalar(partial[i], slabs[slab + i], $"partial {split} of item {item} at [{i / n}, {i % n}]", absolute: 2 * partialBound[i]);
            }

            var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha, a19[itemA..], lda, b19[itemB..], ldb,
                beta, before[itemC..], n);
            double boundPerRounding = 2 * (rangeK + 4) + splits + 3;
            for (int i = 0; i < m * n; i++)
            {
                double productBound = tolerance[i] / (k + 4) * boundPerRounding;   // Compute's bound is (k + 4)·u·(...)
                var (want, bound) = epilogue == GemmEpilogue.GeluDerivative
                    ? (expected[i] * GemmGeluDerivativeEpilogueTests.GeluDerivative(z[itemC + i]),
                       1.14 * productBound + 8 * TestInputs.U * Math.Abs(expected[i]) + 2 * TestInputs.U * Math.Abs(expected[i] * 1.14))
                    : GemmKernelTests.Epilogue(epilogue, expected[i], productBound, bias[i % n]);
                AssertClose.Scalar(want, result[itemC + i], $"C[{item}][{i / n}][{i % n}]", absolute: bound);
                if (epilogue is GemmEpilogue.None or GemmEpilogue.Bias)
                {
                    float sum = slabs[itemC + i];
                    for (int split = 1; split < splits; split++) sum += slabs[(split * batch + item) * m * n + i];
                    float x = MathF.FusedMultiplyAdd(beta, before[itemC + i], alpha * sum);
                    if (epilogue == GemmEpilogue.Bias) x += bias[i % n];
                    Assert.True(BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(result[itemC + i]),
                        $"C[{item}][{i / n}][{i % n}] = {result[itemC + i]:R} is not its partials summed in split order, {x:R}");
                }
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(GemmWgmmaKernelTests.Devices), MemberType = typeof(GemmWgmmaKernelTests))]
    public void TheModelSplitsAnUnderfilledGridAndRunsRepeatBitForBit(string device)
    {
        // One 128 × 128 tile with K = 2048 (64 slices) on 3 SMs: unsplit, two SMs idle through 64 slice times; the model
        // (HopperGemmKernels.Splits) predicts 3 splits of 22 slices: 22 + 4·3/3 + 8 = 34 against 64 (2 splits: 42.7,
        // 4: 45.3). Run twice through the launcher's own choice: the same bits both times, and within the bound.
        const int m = 100, n = 60, k = 2048;
        Assert.Equal(3, HopperGemmKernels.Splits(1, m, n, k, Multiprocessors));
        Assert.Equal(1, HopperGemmKernels.Splits(1, 3 * 128, n, k, Multiprocessors));   // 3 tiles fill the 3 SMs: 64 against 2·32 + 8 + 8
        using var gpu = GemmWgmmaKernelTests.OpenHopper(device, Multiprocessors);
        long workspaceBytes = HopperGemmKernels.WorkspaceBytes(gpu.Info, 1, m, n, k);
        Assert.Equal(3L * m * n * sizeof(float), workspaceBytes);
        float[] a = TestInputs.NonZero(170, m * k), b = TestInputs.NonZero(171, n * k);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), partials = new(gpu, (int)(workspaceBytes / sizeof(float)));
        float[][] runs = new float[2][];
        for (int run = 0; run < runs.Length; run++)
        {
            using DeviceArray<float> dc = new(gpu, new float[m * n]);
            HopperGemmKernels.Tf32(gpu, false, true, 1, m, n, k, 1f, da.Ptr, k, 0, db.Ptr, k, 0, 0f, dc.Ptr, n, 0,
                workspace: partials.Ptr, workspaceBytes: workspaceBytes);
            runs[run] = dc.Read();
        }
        Assert.Equal(Array.ConvertAll(runs[0], BitConverter.SingleToInt32Bits), Array.ConvertAll(runs[1], BitConverter.SingleToInt32Bits));

        var (expected, tolerance) = GemmReference.Compute(false, true, m, n, k, 1f, Array.ConvertAll(a, GemmWgmmaKernelTests.TruncateToTf32), k,
            Array.ConvertAll(b, GemmWgmmaKernelTests.TruncateToTf32), k, 0f, new float[m * n], n);
        double boundPerRounding = 2 * (22 * 32 + 4) + 3 + 3;
        for (int i = 0; i < m * n; i++)
            AssertClose.Scalar(expected[i], runs[0][i], $"C[{i / n}][{i % n}]", absolute: tolerance[i] / (k + 4) * boundPerRounding);
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
