using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>Embeddings, pooling, cross-entropy, dropout and AdamW of <see cref="CudaBackend"/> against the CPU backend.</summary>
[Collection(CudaBackendCollection.Name)]
public class TrainingPrimitiveTests(CudaTestDevice device)
{
    static readonly CpuBackend Cpu = CpuBackend.Instance;
    const int Ignore = -100;

    [Fact]
    public void EmbeddingGatherAndScatterAddAreBitIdentical()
    {
        using var scope = Tensor.Scope();
        const int vocab = 11, dim = 37;
        int[] ids = [3, 0, 10, 3, 3, 7, 0];   // repeated ids accumulate in position order
        float[] table = NonZero(20, vocab * dim), dy = NonZero(21, ids.Length * dim), dtable = NonZero(22, vocab * dim);
        Tensor cids = CpuVsCuda.Cpu(ids, ids.Length), gids = Gpu(ids, ids.Length);
        Tensor cy = Tensor.Empty([ids.Length, dim]), gy = Tensor.Empty([ids.Length, dim], device: Device.Cuda);

        Cpu.EmbeddingGather(CpuVsCuda.Cpu(table, vocab, dim), cids, cy);
        device.Backend.EmbeddingGather(Gpu(table, vocab, dim), gids, gy);
        BitEqual(cy, gy, "gathered rows");

        Tensor cdt = CpuVsCuda.Cpu(dtable, vocab, dim), gdt = Gpu(dtable, vocab, dim);
        Cpu.EmbeddingScatterAdd(CpuVsCuda.Cpu(dy, ids.Length, dim), cids, cdt);
        device.Backend.EmbeddingScatterAdd(Gpu(dy, ids.Length, dim), gids, gdt);
        BitEqual(cdt, gdt, "dtable");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void AnIdOutsideTheTableIsReportedAtTheNextReadNamingItsPosition()
    {
        using var scope = Tensor.Scope();
        var table = Gpu(NonZero(23, 4 * 3), 4, 3);
        var y = Tensor.Empty([4, 3], device: Device.Cuda);
        long reads = device.Backend.DeviceToHostReads;
        device.Backend.EmbeddingGather(table, Gpu([1, 2, 4, 0], 4), y);   // queued: nothing is read back here
        Assert.Equal(reads, device.Backend.DeviceToHostReads);
        var error = Assert.Throws<IndexOutOfRangeException>(() => y.ToArray<float>());
        Assert.Contains("position 2", error.Message);
        Assert.Equal(reads + 1, device.Backend.DeviceToHostReads);   // the flag, read before the tensor
        // Reported once: the next read gets its data (the good rows were gathered).
        Assert.Equal(NonZero(23, 12).AsSpan(3, 3).ToArray(), y.ToArray<float>().AsSpan(0, 3).ToArray());
        Assert.Equal(reads + 2, device.Backend.DeviceToHostReads);

        var int64 = Assert.Throws<NotSupportedException>(() =>
            device.Backend.EmbeddingGather(table, Tensor.FromArray(new long[] { 1 }, [1], Device.Cuda), Tensor.Empty([1, 3], device: Device.Cuda)));
        Assert.Contains("Int32", int64.Message);
    }

    [Fact]
    public void MaskedMeanPoolingWithPaddingMatchesTheCpu()
    {
        using var scope = Tensor.Scope();
        const int b = 3, s = 5, h = 37;
        float[] hidden = NonZero(24, b * s * h), dy = NonZero(25, b * h);
        float[] mask = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];   // 3, 5 and 1 real tokens
        Tensor ch = CpuVsCuda.Cpu(hidden, b, s, h), cm = CpuVsCuda.Cpu(mask, b, s), cdy = CpuVsCuda.Cpu(dy, b, h);
        Tensor cy = Tensor.Empty([b, h]), gy = Tensor.Empty([b, h], device: Device.Cuda);

        Cpu.MaskedMeanPool(ch, cm, 1e-9, cy);
        device.Backend.MaskedMeanPool(ch.To(Device.Cuda), cm.To(Device.Cuda), 1e-9, gy);
        // At most s terms of magnitude ≤ 1 and one division, in different orders: 2·(s + 1)·u absolute.
        AssertClose.Elementwise(cy, gy, "pooled", absolute: 2 * (s + 1) * U);

        Tensor cdh = Tensor.Empty([b, s, h]), gdh = Tensor.Empty([b, s, h], device: Device.Cuda);
        Cpu.MaskedMeanPoolBackward(cdy, cm, 1e-9, cdh);
        device.Backend.MaskedMeanPoolBackward(cdy.To(Device.Cuda), cm.To(Device.Cuda), 1e-9, gdh);
        AssertClose.Elementwise(cdh, gdh, "dh", relative: 2 * U);
        Assert.All(gdh.ToArray<float>().Where((_, i) => mask[i / h] == 0), v => Assert.Equal(0f, v));
        device.AssertNoSanitizerFindings();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CrossEntropyWithIgnoredTargetsMatchesTheCpu(bool weighted)
    {
        using var scope = Tensor.Scope();
        const int rows = 9, classes = 37;
        int[] targets = [3, Ignore, 0, 36, 12, Ignore, 7, 7, 20];
        float[] logits = NonZero(26, rows * classes, 6f);
        Tensor cz = CpuVsCuda.Cpu(logits, rows, classes), ct = CpuVsCuda.Cpu(targets, rows);
        Tensor gz = cz.To(Device.Cuda), gt = ct.To(Device.Cuda);
        Tensor? cw = weighted ? CpuVsCuda.Cpu(NonZero(27, classes).Select(Math.Abs).ToArray(), classes) : null;
        Tensor? gw = cw?.To(Device.Cuda);

        Tensor closs = Tensor.Empty([]), gloss = Tensor.Empty([], device: Device.Cuda);
        Cpu.CrossEntropy(cz, ct, cw, Ignore, closs);
        device.Backend.CrossEntropy(gz, gt, gw, Ignore, gloss);
        // logsumexp over `classes` terms (|z| ≤ 6) and a mean of rows: (classes + 8)·u relative to |z| ≤ 4·…
        AssertClose.Elementwise(closs, gloss, "loss", absolute: (classes + 8) * U * 4);

        Tensor cdz = Tensor.Empty([rows, classes]), gdz = Tensor.Empty([rows, classes], device: Device.Cuda);
        Tensor dloss = Tensor.Scalar(1.7);
        Cpu.CrossEntropyBackward(cz, ct, cw, Ignore, dloss, cdz);
        device.Backend.CrossEntropyBackward(gz, gt, gw, Ignore, dloss.To(Device.Cuda), gdz);
        AssertClose.Elementwise(cdz, gdz, "dlogits", absolute: 1e-9, relative: (classes + 8) * U * 4);
        Assert.All(gdz.ToArray<float>().Where((_, i) => targets[i / classes] == Ignore), v => Assert.Equal(0f, v));
        device.AssertNoSanitizerFindings();
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void DropoutMasksAreTheCpuBits(double p)
    {
        using var scope = Tensor.Scope();
        const int n = 1001;   // not a multiple of the 4 words one Philox call makes
        float[] x = NonZero(28, n);
        Tensor cy = Tensor.Empty([n]), gy = Tensor.Empty([n], device: Device.Cuda);
        Cpu.Dropout(CpuVsCuda.Cpu(x, n), p, 0x5eed_1234_abcdUL, 6, cy);
        device.Backend.Dropout(Gpu(x, n), p, 0x5eed_1234_abcdUL, 6, gy);
        BitEqual(cy, gy, $"dropout p={p}");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ThreeAdamWStepsAreBitIdentical()
    {
        using var scope = Tensor.Scope();
        const int n = 37 * 7;
        Tensor cp = CpuVsCuda.Cpu(NonZero(29, n), n), cm = Tensor.Zeros([n]), cv = Tensor.Zeros([n]);
        Tensor gp = cp.To(Device.Cuda), gm = cm.To(Device.Cuda), gv = cv.To(Device.Cuda);
        for (int step = 1; step <= 3; step++)
        {
            var grad = CpuVsCuda.Cpu(NonZero(30 + step, n), n);
            var args = new AdamWStepArgs(2e-3, 0.9, 0.999, 1e-8, 0.01, step);
            Cpu.AdamWStep(cp, grad, cm, cv, args);
            device.Backend.AdamWStep(gp, grad.To(Device.Cuda), gm, gv, args);
        }
        BitEqual(cp, gp, "param");
        BitEqual(cm, gm, "exp_avg");
        BitEqual(cv, gv, "exp_avg_sq");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void MultiTensorAdamWIsBitIdenticalToTheCpusAndReadsNothingBack()
    {
        using var scope = Tensor.Scope();
        int[] sizes = [37 * 7, 5000, 3];
        double[] learningRates = [2e-3, 1e-3, 5e-3], decays = [0.01, 0, 0.1];
        var cpu = sizes.Select((n, k) => new[] { CpuVsCuda.Cpu(NonZero(40 + k, n), n), Tensor.Zeros([n]), Tensor.Zeros([n]) }).ToArray();
        var gpu = cpu.Select(ts => ts.Select(t => t.To(Device.Cuda)).ToArray()).ToArray();
        // Mixed precision's bfloat16 weight copies on the first and last tensor (none on the middle one), written in the same pass.
        Tensor?[] cpuCopies = [Tensor.Zeros([sizes[0]], DType.BFloat16), null, Tensor.Zeros([sizes[2]], DType.BFloat16)];
        Tensor?[] gpuCopies = [.. cpuCopies.Select(c => c?.To(Device.Cuda))];
        for (int step = 1; step <= 3; step++)
        {
            var grads = sizes.Select((n, k) => CpuVsCuda.Cpu(NonZero(50 + 10 * step + k, n), n)).ToArray();
            var gpuGrads = grads.Select(g => g.To(Device.Cuda)).ToArray();
            AdamWUpdate Update(Tensor[][] state, Tensor[] g, Tensor?[] copies, int k) =>
                new(state[k][0], g[k], state[k][1], state[k][2], new AdamWStepArgs(learningRates[k], 0.9, 0.999, 1e-8, decays[k], step), copies[k]);
            Cpu.AdamWSteps(sizes.Select((_, k) => Update(cpu, grads, cpuCopies, k)).ToArray());
            long reads = device.Backend.DeviceToHostReads;
            device.Backend.AdamWSteps(sizes.Select((_, k) => Update(gpu, gpuGrads, gpuCopies, k)).ToArray());
            Assert.Equal(reads, device.Backend.DeviceToHostReads);
        }
        for (int k = 0; k < sizes.Length; k++)
        {
            BitEqual(cpu[k][0], gpu[k][0], $"param {k}");
            BitEqual(cpu[k][1], gpu[k][1], $"exp_avg {k}");
            BitEqual(cpu[k][2], gpu[k][2], $"exp_avg_sq {k}");
            if (cpuCopies[k] is not { } copy) continue;
            Assert.Equal(cpu[k][0].To(DType.BFloat16).ToArray<BFloat16>(), copy.ToArray<BFloat16>());   // the updated parameter, rounded
            Assert.Equal(copy.ToArray<BFloat16>(), gpuCopies[k]!.ToArray<BFloat16>());
        }
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ClipGradNormKeepsTheNormOnTheDeviceAndMatchesTheCpu()
    {
        using var scope = Tensor.Scope();
        int[] sizes = [37 * 7, 5000, 3];
        var cpu = sizes.Select((n, k) => CpuVsCuda.Cpu(NonZero(70 + k, n, 0.5f), n)).ToArray();
        var gpu = cpu.Select(g => g.To(Device.Cuda)).ToArray();
        Tensor cpuNorm = Tensor.Empty([1], DType.Float64), gpuNorm = Tensor.Empty([1], DType.Float64, Device.Cuda);

        Cpu.ClipGradNorm(cpu, 1.0, cpuNorm);
        long reads = device.Backend.DeviceToHostReads;
        device.Backend.ClipGradNorm(gpu, 1.0, gpuNorm);
        Assert.Equal(reads, device.Backend.DeviceToHostReads);

        double norm = cpuNorm.Item();
        Assert.True(norm > 1, "the test's gradients must be clipped");
        // Σ g² of floats in double, in chunk order instead of tensor order: ≤ n·2⁻⁵³ relative.
        AssertClose.Scalar(norm, gpuNorm.Item(), "‖g‖", relative: sizes.Sum() * Math.Pow(2, -53));
        // Each element one float multiply by the factor rounded to float; the factors may differ by one rounding: ≤ 2u.
        for (int k = 0; k < sizes.Length; k++) AssertClose.Elementwise(cpu[k], gpu[k], $"clipped gradient {k}", relative: 2 * U);
        device.AssertNoSanitizerFindings();
    }
}
