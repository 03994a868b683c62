using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/cross_entropy.cu against the CPU backend: ignored rows, class weights, vocabulary-sized rows.</summary>
public class CrossEntropyKernelTests
{
    const int Ignore = CrossEntropyKernels.DefaultIgnoreIndex;
    const float Dloss = 1.7f;

    [Theory]
    [InlineData("software", false)]
    [InlineData("software", true)]
    [InlineData("driver", false)]
    [InlineData("driver", true)]
    public void LossAndGradientMatchTheCpu(string device, bool weighted)
    {
        const int rows = 9, classes = 37;
        int[] targets = [3, Ignore, 0, 36, 12, Ignore, 7, 7, 20];
        float[] logits = TestInputs.NonZero(70, rows * classes, 6f);
        float[]? weights = weighted ? TestInputs.NonZero(71, classes).Select(Math.Abs).ToArray() : null;
        Check(device, logits, targets, weights, rows, classes);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void VocabularySizedRowsWork(string device)
    {
        const int rows = 1, classes = 30522;   // bert-base-uncased's vocabulary: 120 classes per thread
        float[] logits = TestInputs.NonZero(72, rows * classes, 10f);
        Check(device, logits, [29000], null, rows, classes);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void AllRowsIgnoredGiveNaNAndZeroGradient(string device)
    {
        using var gpu = TestDevices.Open(device);
        const int rows = 3, classes = 5;
        using DeviceArray<float> logits = new(gpu, TestInputs.NonZero(73, rows * classes)), loss = new(gpu, 1),
            dloss = new(gpu, [Dloss]), dlogits = new(gpu, rows * classes),
            workspace = new(gpu, (int)CrossEntropyKernels.WorkspaceBytes(rows) / sizeof(float));
        using DeviceArray<int> targets = new(gpu, [Ignore, Ignore, Ignore]);

        CrossEntropyKernels.ForwardBackward(gpu, logits.Ptr, targets.Ptr, DevicePtr.Null, Ignore, rows, classes,
            loss.Ptr, dloss.Ptr, dlogits.Ptr, workspace.Ptr);

        Assert.True(float.IsNaN(loss.Read()[0]), "0/0 loss, as PyTorch");
        Assert.All(dlogits.Read(), v => Assert.Equal(0f, v));
        KernelAssert.NoSanitizerFindings(gpu);
    }

    static void Check(string device, float[] logits, int[] targets, float[]? weights, int rows, int classes)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        using DeviceArray<float> dz = new(gpu, logits), loss = new(gpu, 1), dloss = new(gpu, [Dloss]),
            ddz = new(gpu, rows * classes), dw = new(gpu, weights ?? [1f]),
            workspace = new(gpu, (int)CrossEntropyKernels.WorkspaceBytes(rows) / sizeof(float));
        using DeviceArray<int> dt = new(gpu, targets);

        CrossEntropyKernels.ForwardBackward(gpu, dz.Ptr, dt.Ptr, weights is null ? DevicePtr.Null : dw.Ptr, Ignore, rows, classes,
            loss.Ptr, dloss.Ptr, ddz.Ptr, workspace.Ptr);

        Tensor tz = Cpu.Tensor(logits, rows, classes), tt = Cpu.Tensor(targets, rows), expectedLoss = Cpu.Empty(), expectedGrad = Cpu.Empty(rows, classes);
        Tensor? tw = weights is null ? null : Cpu.Tensor(weights, classes);
        Cpu.Backend.CrossEntropy(tz, tt, tw, Ignore, expectedLoss);
        Cpu.Backend.CrossEntropyBackward(tz, tt, tw, Ignore, Cpu.Tensor([Dloss]), expectedGrad);
        // logsumexp in float: the max-shifted sum of `classes` terms (≤ classes·u relative) plus logf (2 ulp)
        // gives an absolute error ≤ ~(classes + 4)·u on each row loss; the mean keeps it.
        AssertClose.Scalar(expectedLoss.ToArray<float>()[0], loss.Read()[0], "loss", absolute: (classes + 8) * TestInputs.U * 4);
        // Gradient entries are |factor|·(p − onehot): p carries the same relative error as e^(z − lse).
        AssertClose.Elementwise(expectedGrad.ToArray<float>(), ddz.Read(), "dlogits", absolute: 1e-9, relative: (classes + 8) * TestInputs.U * 4);
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
