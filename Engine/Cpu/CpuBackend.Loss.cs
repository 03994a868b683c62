using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Cross-entropy over logits with an ignore index and optional class weights.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void CrossEntropy(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor loss) =>
        ByFloatType(logits, () => CrossEntropy<float>(logits, targets, weights, ignoreIndex, loss, null, null),
            () => CrossEntropy<double>(logits, targets, weights, ignoreIndex, loss, null, null), nameof(CrossEntropy));

    /// <inheritdoc/>
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor dloss, Tensor dlogits) =>
        ByFloatType(logits, () => CrossEntropy<float>(logits, targets, weights, ignoreIndex, null, dloss, dlogits),
            () => CrossEntropy<double>(logits, targets, weights, ignoreIndex, null, dloss, dlogits), nameof(CrossEntropyBackward));

    // Row i with target t and weight w = weights[t]: ℓ_i = w·(logsumexp(z_i) − z_i[t]).
    // loss = Σ ℓ_i / Σ w over kept rows; ∂loss/∂z_i = w·(softmax(z_i) − onehot(t)) / Σ w.
    // One routine for both directions: it writes the loss when `loss` is given, else the gradient.
    private static void CrossEntropy<T>(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex,
        Tensor? loss, Tensor? dloss, Tensor? dlogits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = logits.Shape[0], classes = logits.Shape[1];
        var labels = targets.IndicesAsLongs();
        ReadOnlySpan<T> z = logits.AsSpan<T>();
        ReadOnlySpan<T> w = weights is null ? default : weights.AsSpan<T>();
        double weightSum = 0, lossSum = 0;
        for (int i = 0; i < rows; i++)
        {
            if (labels[i] == ignoreIndex) continue;
            if ((ulong)labels[i] >= (ulong)classes)
                throw new IndexOutOfRangeException($"cross_entropy: target {labels[i]} at row {i} is outside [0, {classes}) and is not the ignore index {ignoreIndex}");
            weightSum += weights is null ? 1.0 : double.CreateTruncating(w[(int)labels[i]]);
        }
        if (loss is not null)
        {
            for (int i = 0; i < rows; i++)
            {
                if (labels[i] == ignoreIndex) continue;
                var row = z.Slice(i * classes, classes);
                double weight = weights is null ? 1.0 : double.CreateTruncating(w[(int)labels[i]]);
                lossSum += weight * (LogSumExp(row) - double.CreateTruncating(row[(int)labels[i]]));
            }
            loss.AsSpan<T>()[0] = Cast<T>(lossSum / weightSum); // 0/0 = NaN when all rows are ignored, as PyTorch
            return;
        }
        double upstream = double.CreateTruncating(dloss!.AsSpan<T>()[0]);
        Span<T> dz = dlogits!.AsSpan<T>();
        for (int i = 0; i < rows; i++)
        {
            var drow = dz.Slice(i * classes, classes);
            if (labels[i] == ignoreIndex) { drow.Clear(); continue; }
            var row = z.Slice(i * classes, classes);
            double weight = weights is null ? 1.0 : double.CreateTruncating(w[(int)labels[i]]);
            T factor = Cast<T>(upstream * weight / weightSum);
            TensorPrimitives.Subtract(row, Cast<T>(LogSumExp(row)), drow);
            TensorPrimitives.Exp<T>(drow, drow);                              // softmax(z_i)
            drow[(int)labels[i]] -= T.One;
            TensorPrimitives.Multiply(drow, factor, drow);
        }
    }

    private static double LogSumExp<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = double.CreateTruncating(TensorPrimitives.Max(row)), sum = 0;
        foreach (T v in row) sum += Math.Exp(double.CreateTruncating(v) - max);
        return max + Math.Log(sum);
    }
}
