using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// The memory-bound kernels at BERT-base training shapes (B = 32, S = 128, hidden 768, 12 heads), on the
/// real GPU only (the interpreter would take minutes), against the CPU backend with the same bounds as
/// the small-shape tests.
/// </summary>
public class BertShapeTests
{
    const int B = 32, S = 128, Hidden = 768, Heads = 12, HeadDim = 64, Tokens = B * S;

    [Theory]
    [InlineData(TestDevices.Driver)]
    public void AttentionSoftmaxAndHeadPermutes(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        int rows = B * Heads * S;
        float[] scores = TestInputs.NonZero(160, rows * S, 8f), mask = new float[B * S];
        for (int b = 0; b < B; b++)
            for (int s = 20 + b * 3; s < S; s++) mask[b * S + s] = -10000f;   // every sequence its own length
        using DeviceArray<float> ds = new(gpu, scores), dm = new(gpu, mask), dp = new(gpu, rows * S);
        SoftmaxKernels.Forward(gpu, ds.Ptr, dm.Ptr, dp.Ptr, rows, S, Heads * S, 0.125f);
        var expected = Cpu.Empty(B, Heads, S, S);
        Cpu.Backend.ScaledMaskedSoftmax(Cpu.Tensor(scores, B, Heads, S, S), Cpu.Tensor(mask, B, S), 0.125, expected);
        AssertClose.Elementwise(expected.ToArray<float>(), dp.Read(), "probs", absolute: 1e-9, relative: 2e-6);

        float[] x = TestInputs.NonZero(161, Tokens * Hidden);
        using DeviceArray<float> dx = new(gpu, x), split = new(gpu, x.Length);
        PermuteKernels.SplitHeads(gpu, dx.Ptr, split.Ptr, B, S, Heads, HeadDim);
        var permuted = Cpu.Empty(B, Heads, S, HeadDim);
        Cpu.Backend.Permute(Cpu.Tensor(x, B, S, Heads, HeadDim), [0, 2, 1, 3], permuted);
        KernelAssert.BitEqual(permuted.ToArray<float>(), split.Read(), "split heads");
    }

    [Theory]
    [InlineData(TestDevices.Driver)]
    public void LayerNormGeluPoolingAndTokenLoss(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(162, Tokens * Hidden, 2f), gamma = TestInputs.NonZero(163, Hidden), beta = TestInputs.NonZero(164, Hidden);
        using DeviceArray<float> dx = new(gpu, x), dg = new(gpu, gamma), db = new(gpu, beta), dy = new(gpu, Tokens * Hidden),
            dmean = new(gpu, Tokens), drstd = new(gpu, Tokens), gelu = new(gpu, Tokens * Hidden);
        LayerNormKernels.Forward(gpu, dx.Ptr, dg.Ptr, db.Ptr, dy.Ptr, dmean.Ptr, drstd.Ptr, Tokens, Hidden, 1e-12f);
        Tensor y = Cpu.Empty(Tokens, Hidden), mean = Cpu.Empty(Tokens), rstd = Cpu.Empty(Tokens);
        Cpu.Backend.LayerNorm(Cpu.Tensor(x, Tokens, Hidden), Cpu.Tensor(gamma, Hidden), Cpu.Tensor(beta, Hidden), 1e-12, y, mean, rstd);
        AssertClose.Elementwise(y.ToArray<float>(), dy.Read(), "layer norm y", absolute: 1e-5, relative: 1e-6);

        ActivationKernels.GeluForward(gpu, dx.Ptr, gelu.Ptr, Tokens * Hidden);
        var geluExpected = Cpu.Empty(Tokens, Hidden);
        Cpu.Backend.Gelu(Cpu.Tensor(x, Tokens, Hidden), geluExpected);
        AssertClose.Elementwise(geluExpected.ToArray<float>(), gelu.Read(), "gelu", absolute: 1e-7, relative: 8 * TestInputs.U);

        float[] mask = new float[B * S];
        for (int b = 0; b < B; b++)
            for (int s = 0; s < 20 + b * 3; s++) mask[b * S + s] = 1;
        using DeviceArray<float> dmask = new(gpu, mask), pooled = new(gpu, B * Hidden);
        MeanPoolKernels.Forward(gpu, dx.Ptr, dmask.Ptr, pooled.Ptr, B, S, Hidden, 1e-9f);
        var pooledExpected = Cpu.Empty(B, Hidden);
        Cpu.Backend.MaskedMeanPool(Cpu.Tensor(x, B, S, Hidden), Cpu.Tensor(mask, B, S), 1e-9, pooledExpected);
        AssertClose.Elementwise(pooledExpected.ToArray<float>(), pooled.Read(), "pooled", absolute: 4 * S * TestInputs.U);

        const int slots = 72;   // SNIPS slot labels
        float[] logits = TestInputs.NonZero(165, Tokens * slots, 6f);
        int[] targets = Enumerable.Range(0, Tokens).Select(i => mask[i] == 0 ? CrossEntropyKernels.DefaultIgnoreIndex : i * 13 % slots).ToArray();
        using DeviceArray<float> dlogits = new(gpu, logits), loss = new(gpu, 1), dloss = new(gpu, [1f]), grad = new(gpu, Tokens * slots),
            workspace = new(gpu, (int)(CrossEntropyKernels.WorkspaceBytes(Tokens) / sizeof(float)));
        using DeviceArray<int> dtargets = new(gpu, targets);
        CrossEntropyKernels.ForwardBackward(gpu, dlogits.Ptr, dtargets.Ptr, DevicePtr.Null, CrossEntropyKernels.DefaultIgnoreIndex, Tokens, slots,
            loss.Ptr, dloss.Ptr, grad.Ptr, workspace.Ptr);
        Tensor tz = Cpu.Tensor(logits, Tokens, slots), tt = Cpu.Tensor(targets, Tokens), lossExpected = Cpu.Empty(), gradExpected = Cpu.Empty(Tokens, slots);
        Cpu.Backend.CrossEntropy(tz, tt, null, CrossEntropyKernels.DefaultIgnoreIndex, lossExpected);
        Cpu.Backend.CrossEntropyBackward(tz, tt, null, CrossEntropyKernels.DefaultIgnoreIndex, Cpu.Tensor([1f]), gradExpected);
        // Each row loss within (slots + 8)·u of its logsumexp; the float sum of ~3000 row losses adds up to
        // Tokens·u relative: bounded by (Tokens + slots + 8)·u·loss (the loss is ~ log 72 + spread ≈ 8).
        double want = lossExpected.ToArray<float>()[0];
        AssertClose.Scalar(want, loss.Read()[0], "token loss", relative: (Tokens + slots + 8) * TestInputs.U);
        AssertClose.Elementwise(gradExpected.ToArray<float>(), grad.Read(), "dlogits", absolute: 1e-12, relative: 4 * (slots + 8) * TestInputs.U);
    }
}
