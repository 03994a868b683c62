namespace CudaBert.Engine.Distributed;

/// <summary>
/// Gradient averaging that overlaps the backward pass, as PyTorch's <c>DistributedDataParallel</c> does.
/// <para>
/// The trainable parameters are grouped, in the reverse of their order (roughly the order in which the
/// backward pass finishes them: the last layer first), into buckets of at most a cap of bytes, each with
/// one flat Float32 buffer. The backward pass reports every leaf whose gradient is done
/// (<see cref="GradientDone"/>); when all of a bucket's gradients are done, they are copied into its buffer
/// and its all-reduce starts, while the backward pass goes on with the layers below. A bucket starts only
/// after the one before it, so every rank starts the same collectives in the same order, as MPI and NCCL
/// require, however its own backward pass went. <see cref="Finish"/> starts the buckets still waiting
/// (a gradient this rank's batch share did not produce counts as zeros), waits for all, and writes the
/// means back into the gradients.
/// </para>
/// <para>
/// The numbers are those of averaging each gradient on its own: a sum of the same elements over the
/// ranks, then the same scaling by 1/ranks. Only the moment the sums are made changes.
/// </para>
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>PyTorch's default bucket cap (<c>bucket_cap_mb</c>), in MiB.</summary>
    public const double DefaultCapMegabytes = 25;

    readonly ICommunicator _communicator;
    readonly Tensor[] _parameters;
    readonly Dictionary<Tensor, int> _indexOf = new(ReferenceEqualityComparer.Instance);
    readonly int[] _bucketOf;     // parameter index → bucket
    readonly bool[] _done;        // parameter index → gradient reported done this step
    readonly Bucket[] _buckets;
    int _started;                 // buckets 0 … _started − 1 have started this step
    bool _disposed;

    /// <summary>One bucket: its parameters (indices), where each starts in the buffer, the buffer, and this step's progress.</summary>
    sealed class Bucket(int[] members, long[] offsets, Tensor? buffer)
    {
        public int[] Members { get; } = members;
        public long[] Offsets { get; } = offsets;
        public Tensor? Buffer { get; } = buffer;   // none for a single process: nothing to reduce
        public int Done { get; set; }
        public IPendingCollective? Pending { get; set; }
    }

    /// <summary>Lays out the buckets of <paramref name="parameters"/> (the trainable ones, in the same order on every rank).</summary>
    /// <param name="communicator">The ranks.</param>
    /// <param name="parameters">Float32 parameters on one device.</param>
    /// <param name="capBytes">The most bytes of gradient per bucket (a larger parameter gets a bucket of its own); 0: one bucket per parameter.</param>
    /// <exception cref="ArgumentException">A parameter is not Float32, or the parameters are on different devices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The cap is negative.</exception>
    public GradientBuckets(ICommunicator communicator, IReadOnlyList<Tensor> parameters, long capBytes)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentOutOfRangeException.ThrowIfNegative(capBytes);
        _communicator = communicator;
        _parameters = [.. parameters];
        _bucketOf = new int[_parameters.Length];
        _done = new bool[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            if (parameter.DType != DType.Float32)
                throw new ArgumentException($"gradient buckets hold Float32 gradients; parameter {i} is {parameter}", nameof(parameters));
            if (parameter.Device != _parameters[0].Device)
                throw new ArgumentException($"gradient buckets need every parameter on one device: {_parameters[0]} and {parameter}", nameof(parameters));
            if (!_indexOf.TryAdd(parameter, i))
                throw new ArgumentException($"parameter {i} ({parameter}) is listed twice", nameof(parameters));
        }

        var buckets = new List<Bucket>();
        var members = new List<int>();
        long bytes = 0;
        for (int i = _parameters.Length - 1; i >= 0; i--)
        {
            long size = _parameters[i].NumElements * sizeof(float);
            if (members.Count > 0 && bytes + size > capBytes) Close();
            members.Add(i);
            bytes += size;
        }
        if (members.Count > 0) Close();
        _buckets = [.. buckets];

        void Close()
        {
            var offsets = new long[members.Count];
            long length = 0;
            for (int m = 0; m < members.Count; m++)
            {
                offsets[m] = length;
                length += _parameters[members[m]].NumElements;
                _bucketOf[members[m]] = buckets.Count;
            }
            var buffer = communicator.Size == 1 ? null : Tensor.Empty([checked((int)length)], DType.Float32, _parameters[0].Device).Keep();
            buckets.Add(new Bucket([.. members], offsets, buffer));
            members.Clear();
            bytes = 0;
        }
    }

    /// <summary>The parameters, as given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The parameters of each bucket, in the order the buckets start (for logs and tests).</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> Layout => [.. _buckets.Select(b => (IReadOnlyList<Tensor>)[.. b.Members.Select(m => _parameters[m])])];

    /// <summary>How many buckets started during the last step's backward pass, before <see cref="Finish"/>: the overlap achieved.</summary>
    public int StartedDuringBackward { get; private set; }

    /// <summary>
    /// The backward pass's report that <paramref name="parameter"/>'s gradient for this step is done
    /// (<see cref="Tensor.Backward(Action{Tensor}?)"/>). Pass it to a step's last backward pass only: after an
    /// earlier one of an accumulated step, more is still to be added. Starts every bucket that is now
    /// complete and next in order, and polls those running. Tensors that are not parameters here are ignored.
    /// </summary>
    public void GradientDone(Tensor parameter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_communicator.Size == 1 || !_indexOf.TryGetValue(parameter, out int index) || _done[index]) return;
        _done[index] = true;
        _buckets[_bucketOf[index]].Done++;
        while (_started < _buckets.Length && _buckets[_started].Done == _buckets[_started].Members.Length)
            Start(_buckets[_started++]);
        for (int b = 0; b < _started; b++) _buckets[b].Pending!.IsComplete();
    }

    /// <summary>
    /// Ends the step: starts the buckets not started yet, learns which parameters have a gradient on which
    /// ranks, waits, and replaces each gradient by its mean over the ranks. A parameter with a gradient on
    /// some ranks only gets the mean with zeros for the others; one with none on any rank keeps none, so
    /// the optimizer skips it as a single process would.
    /// </summary>
    /// <param name="contributed">Whether this rank ran a backward pass since the gradients were last cleared.</param>
    /// <returns>Whether any rank contributed: when none did, no rank should take an optimizer step.</returns>
    public bool Finish(bool contributed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_communicator.Size == 1) return contributed;
        StartedDuringBackward = _started;
        while (_started < _buckets.Length) Start(_buckets[_started++]);

        // Which parameters hold a gradient on how many ranks, and how many ranks ran a batch: one small sum,
        // after the buckets, so that every rank makes its collectives in the same order.
        var present = new float[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) present[i] = _parameters[i].Grad is null ? 0 : 1;
        present[^1] = contributed ? 1 : 0;
        float[] counts;
        using (var buffer = Tensor.FromArray(present, [present.Length], device: _parameters.Length > 0 ? _parameters[0].Device : Device.Cpu))
        {
            _communicator.AllReduceSum(buffer);
            counts = buffer.ToArray<float>();
        }

        foreach (var bucket in _buckets)
        {
            bucket.Pending!.Wait();
            bucket.Pending = null;
            var buffer = bucket.Buffer!;
            buffer.Backend.Scale(buffer, 1.0 / _communicator.Size, buffer);
            for (int m = 0; m < bucket.Members.Length; m++)
            {
                var parameter = _parameters[bucket.Members[m]];
                if (counts[bucket.Members[m]] == 0) continue;
                parameter.Grad ??= Tensor.Zeros(parameter.Shape, parameter.DType, parameter.Device).Keep();
                buffer.Backend.CopyElements(buffer, bucket.Offsets[m], parameter.Grad, 0, parameter.NumElements);
            }
            bucket.Done = 0;
        }
        Array.Clear(_done);
        _started = 0;
        return counts[^1] > 0;
    }

    /// <summary>Copies a complete bucket's gradients into its buffer (zeros where this rank has none) and starts its all-reduce.</summary>
    void Start(Bucket bucket)
    {
        var buffer = bucket.Buffer!;
        if (bucket.Members.Any(m => _parameters[m].Grad is null)) buffer.Backend.Fill(buffer, 0);
        for (int m = 0; m < bucket.Members.Length; m++)
            if (_parameters[bucket.Members[m]].Grad is { } grad)
                buffer.Backend.CopyElements(grad, 0, buffer, bucket.Offsets[m], grad.NumElements);
        bucket.Pending = _communicator.StartAllReduceSum(buffer);
    }

    /// <summary>Waits for any all-reduce still running (a step abandoned halfway), then frees the buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var bucket in _buckets)
        {
            bucket.Pending?.Wait();
            bucket.Buffer?.Dispose();
        }
    }
}
