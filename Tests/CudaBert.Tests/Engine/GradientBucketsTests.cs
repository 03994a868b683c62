using CudaBert.Engine;
using CudaBert.Engine.Distributed;

namespace CudaBert.Tests.Engine;

public class GradientBucketsTests
{
    [Fact]
    public void BucketsHoldTheParametersInReverseOrderUpToTheCap()
    {
        using var scope = Tensor.Scope();
        var (a, b, c, d) = (Tensor.Zeros([3]), Tensor.Zeros([5]), Tensor.Zeros([2]), Tensor.Zeros([10]));   // 12, 20, 8 and 40 bytes
        Tensor[] parameters = [a, b, c, d];

        // 30 bytes: d alone (larger than the cap), then c + b (28 bytes), then a (28 + 12 > 30).
        Assert.Equal([[d], [c, b], [a]], Layout(parameters, capBytes: 30));
        Assert.Equal([[d], [c], [b], [a]], Layout(parameters, capBytes: 0));
        Assert.Equal([[d, c, b, a]], Layout(parameters, capBytes: 80));
    }

    [Fact]
    public void EachGradientBecomesTheMeanOverRanksAndZerosStandInWhereARankHadNone()
    {
        using var scope = Tensor.Scope();
        var both = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);        // a gradient on both ranks
        var otherOnly = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);   // only on the other rank
        var neither = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);     // on no rank
        Ops.Sum(Ops.Mul(both, Tensor.FromArray([1f, 2f], [2]))).Backward();   // d/dboth = [1, 2]
        var peer = new PeerCommunicator(
            [0f, 0f, 5f, 6f, 3f, 4f],   // the other rank's bucket: neither (none: zeros), otherOnly, both — the reverse order
            [1f, 1f, 0f, 1f]);          // its gradients present (both, otherOnly, not neither) and that it ran a batch
        using var buckets = new GradientBuckets(peer, [both, otherOnly, neither], capBytes: 1024);

        Assert.True(buckets.Finish(contributed: true));

        Assert.Equal([0f, 0f, 0f, 0f, 1f, 2f], peer.Sent[0]);   // this rank's zeros where it has no gradient
        Assert.Equal([2f, 3f], both.Grad!.ToArray<float>());
        Assert.Equal([2.5f, 3f], otherOnly.Grad!.ToArray<float>());
        Assert.Null(neither.Grad);
        Assert.Empty(peer.Left);
    }

    [Fact]
    public void NoStepWhenNoRankRanABatch()
    {
        using var scope = Tensor.Scope();
        var parameter = Tensor.FromArray([0f], [1], requiresGrad: true);
        var peer = new PeerCommunicator([0f], [0f, 0f]);   // no gradient, no batch on the other rank either
        using var buckets = new GradientBuckets(peer, [parameter], capBytes: 0);
        Assert.False(buckets.Finish(contributed: false));
        Assert.Null(parameter.Grad);
    }

    [Fact]
    public void ABucketStartsDuringTheBackwardPassAsSoonAsItsGradientsAreDone()
    {
        using var scope = Tensor.Scope();
        var lower = Tensor.FromArray([1f, 2f], [2], requiresGrad: true);    // the first layer: done last
        var upper = Tensor.FromArray([3f, 4f], [2], requiresGrad: true);    // the last layer: done first
        var h = Ops.Mul(Tensor.FromArray([5f, 6f], [2]), lower);
        var loss = Ops.Sum(Ops.Mul(h, upper));                               // d/dupper = h = [5, 12], d/dlower = [15, 24]
        var peer = new PeerCommunicator([1f, 1f], [1f, 1f], [1f, 1f, 1f]);
        var lowerDoneAtEachStart = new List<bool>();
        peer.Started += () => lowerDoneAtEachStart.Add(lower.Grad is not null);
        using var buckets = new GradientBuckets(peer, [lower, upper], capBytes: 0);

        loss.Backward(buckets.GradientDone);

        // The upper bucket went out while the pass had not yet reached the lower layer; then the lower one.
        Assert.Equal([false, true], lowerDoneAtEachStart);
        Assert.True(buckets.Finish(contributed: true));
        Assert.Equal(2, buckets.StartedDuringBackward);
        Assert.Equal([3f, 6.5f], upper.Grad!.ToArray<float>());
        Assert.Equal([8f, 12.5f], lower.Grad!.ToArray<float>());
    }

    [Fact]
    public void BucketsStartInTheirOrderWhateverOrderTheirGradientsFinishIn()
    {
        using var scope = Tensor.Scope();
        var first = Tensor.FromArray([1f], [1], requiresGrad: true);
        var second = Tensor.FromArray([2f], [1], requiresGrad: true);
        Ops.Sum(first + second).Backward();
        var peer = new PeerCommunicator([0f], [0f], [1f, 1f, 1f]);
        using var buckets = new GradientBuckets(peer, [first, second], capBytes: 0);   // buckets: [second], [first]

        buckets.GradientDone(first);    // the second bucket is complete, but the first is not: nothing starts
        Assert.Empty(peer.Sent);
        buckets.GradientDone(second);   // now both, the first bucket first
        Assert.Equal(2, peer.Sent.Count);
        buckets.GradientDone(second);   // a repeated report changes nothing
        Assert.True(buckets.Finish(contributed: true));
        Assert.Equal(2, buckets.StartedDuringBackward);
        Assert.Equal([0.5f], first.Grad!.ToArray<float>());
    }

    [Fact]
    public void AloneNothingIsCopiedOrReduced()
    {
        using var scope = Tensor.Scope();
        var parameter = Tensor.FromArray([1f], [1], requiresGrad: true);
        Ops.Sum(parameter * parameter).Backward();
        using var buckets = new GradientBuckets(SingleProcessCommunicator.Instance, [parameter], capBytes: 0);
        buckets.GradientDone(parameter);
        Assert.True(buckets.Finish(contributed: true));
        Assert.Equal([2f], parameter.Grad!.ToArray<float>());
    }

    [Fact]
    public void OnlyFloat32ParametersOnOneDevice()
    {
        using var scope = Tensor.Scope();
        var ids = Tensor.FromArray([1, 2], [2]);
        var error = Assert.Throws<ArgumentException>(() => new GradientBuckets(SingleProcessCommunicator.Instance, [Tensor.Zeros([1]), ids], capBytes: 0));
        Assert.Contains("parameter 1", error.Message);
        Assert.Contains("Float32", error.Message);
    }

    static List<List<Tensor>> Layout(Tensor[] parameters, long capBytes)
    {
        using var buckets = new GradientBuckets(SingleProcessCommunicator.Instance, parameters, capBytes);
        return [.. buckets.Layout.Select(bucket => bucket.ToList())];
    }

    /// <summary>Rank 0 of two, where the other rank's contribution to each successive reduction is given in advance.</summary>
    sealed class PeerCommunicator(params float[][] peerBuffers) : ICommunicator
    {
        public Queue<float[]> Left { get; } = new(peerBuffers);
        /// <summary>This rank's buffers, as each reduction found them.</summary>
        public List<float[]> Sent { get; } = [];
        public event Action? Started;
        public int Rank => 0;
        public int Size => 2;

        public void AllReduceSum(Tensor buffer)
        {
            float[] own = buffer.ToArray<float>(), other = Left.Dequeue();
            Assert.Equal(own.Length, other.Length);
            Sent.Add(own);
            buffer.CopyFrom<float>(own.Zip(other, (a, b) => a + b).ToArray());
        }

        public IPendingCollective StartAllReduceSum(Tensor buffer)
        {
            Started?.Invoke();
            AllReduceSum(buffer);
            return CompletedCollective.Instance;
        }

        public void AllReduceAverage(Tensor buffer) => throw new InvalidOperationException("gradient buckets sum, then scale");
        public void Broadcast(Tensor buffer, int root) { }
        public void Barrier() { }
        public void Dispose() { }
    }
}
