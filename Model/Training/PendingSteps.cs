using CudaBert.Engine;

namespace CudaBert.Model.Training;

/// <summary>
/// The optimizer steps taken since the last log point, whose losses and gradient norms are still on
/// the training device. Reading a loss with <see cref="Tensor.Item"/> after every batch would make the
/// host wait for the GPU to finish that batch before it can queue the next one; instead each loss is
/// copied (on the device) into a slot of a small buffer, and <see cref="Read"/> fetches every slot in
/// one copy at a log point. The records it returns hold exactly what a read per batch would have given:
/// each batch's float loss widened to double and summed on the host, in the same order.
/// </summary>
sealed class PendingSteps : IDisposable
{
    // Slots of one step in the buffers: which loss slots hold its batches' total, sentence and token
    // losses, and whether the norm buffer holds its gradient norm (at the step's own index).
    sealed record Step(StepRecord Record, List<int> Totals, List<int> Sentence, List<int> Tokens, bool HasNorm);

    readonly Device _device;
    readonly List<Step> _steps = [];
    List<int> _totals = [], _sentence = [], _tokens = [];
    int _usedLossSlots;
    bool _normWritten;
    Tensor? _losses;                         // one element per batch loss, in the losses' dtype
    Tensor? _norms;                          // Float64, one element per step
    Tensor? _norm;                           // Float64 [1]: the current step's norm, written by the clipping

    /// <param name="device">The training device: the buffers live there.</param>
    public PendingSteps(Device device) => _device = device;

    /// <summary>Steps waiting for <see cref="Read"/>.</summary>
    public int Count => _steps.Count;

    /// <summary>Keeps one batch's losses (scalars on the device; the sentence and token ones when present).</summary>
    public void AddBatch(Tensor total, Tensor? sentence, Tensor? tokens)
    {
        _totals.Add(CopyToNextSlot(total));
        if (sentence is not null) _sentence.Add(CopyToNextSlot(sentence));
        if (tokens is not null) _tokens.Add(CopyToNextSlot(tokens));
    }

    /// <summary>The device scalar (Float64) that the gradient clipping of the current step writes its norm to.</summary>
    public Tensor GradNorm()
    {
        _normWritten = true;
        return _norm ??= Tensor.Empty([1], DType.Float64, _device).Keep();
    }

    /// <summary>
    /// Ends the current step: <paramref name="record"/> is its record with everything but the losses and
    /// the gradient norm, which <see cref="Read"/> fills in.
    /// </summary>
    public void EndStep(StepRecord record)
    {
        if (_normWritten)
        {
            _norms = Grown(_norms, _steps.Count + 1, DType.Float64, _steps.Count);
            _norm!.Backend.CopyElements(_norm, 0, _norms, _steps.Count, 1);
        }
        _steps.Add(new Step(record, _totals, _sentence, _tokens, _normWritten));
        (_totals, _sentence, _tokens, _normWritten) = ([], [], [], false);
    }

    /// <summary>
    /// The records of the pending steps, in order, with their losses (the mean over the step's batches,
    /// NaN when all were skipped; null for a head that had no batch) and gradient norms (null without
    /// clipping); then starts over. At most one read of each buffer.
    /// </summary>
    public List<StepRecord> Read()
    {
        double[] losses = _usedLossSlots == 0 ? [] : _losses!.ToDoubleArray();
        double[] norms = _steps.Any(s => s.HasNorm) ? _norms!.ToDoubleArray() : [];
        var records = _steps.Select((s, i) => s.Record with
        {
            Loss = s.Totals.Count == 0 ? double.NaN : Sum(s.Totals) / s.Totals.Count,
            SentenceLoss = s.Sentence.Count == 0 ? null : Sum(s.Sentence) / s.Sentence.Count,
            TokenLoss = s.Tokens.Count == 0 ? null : Sum(s.Tokens) / s.Tokens.Count,
            GradNorm = s.HasNorm ? norms[i] : null,
        }).ToList();
        _steps.Clear();
        _usedLossSlots = 0;
        return records;

        double Sum(List<int> slots)
        {
            double sum = 0;
            foreach (int slot in slots) sum += losses[slot];
            return sum;
        }
    }

    /// <summary>Copies a scalar loss into the next free slot (on its device: nothing is read) and returns the slot.</summary>
    int CopyToNextSlot(Tensor loss)
    {
        int slot = _usedLossSlots++;
        _losses = Grown(_losses, _usedLossSlots, loss.DType, slot);
        loss.Backend.CopyElements(loss, 0, _losses, slot, 1);
        return slot;
    }

    /// <summary>
    /// <paramref name="buffer"/>, or a buffer twice as large holding its first <paramref name="used"/>
    /// elements when it has fewer than <paramref name="needed"/> (the old one is freed).
    /// </summary>
    Tensor Grown(Tensor? buffer, int needed, DType dtype, int used)
    {
        if (buffer is not null && buffer.NumElements >= needed) return buffer;
        var grown = Tensor.Zeros([Math.Max(16, 2 * needed)], dtype, _device).Keep();   // zeros: the whole buffer is read back
        if (buffer is not null)
        {
            grown.Backend.CopyElements(buffer, 0, grown, 0, used);
            buffer.Dispose();
        }
        return grown;
    }

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        _losses?.Dispose();
        _norms?.Dispose();
        _norm?.Dispose();
    }
}
