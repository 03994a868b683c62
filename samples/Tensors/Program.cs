using CudaBert.Engine;
using CudaBert.Engine.Optim;
using CudaBert.Engine.Random;

namespace CudaBert.Samples.Tensors;

/// <summary>
/// The engine without the model: tensors, a memory scope per step, ops recorded for autograd,
/// Backward, AdamW. A two-layer network learns XOR, which no single linear layer can.
/// </summary>
public static class Program
{
    public static int Main()
    {
        var (loss, predictions) = Run();
        Console.WriteLine($"loss {loss:F4}; XOR of (0,0) (0,1) (1,0) (1,1): {string.Join(" ", predictions)}");
        return 0;
    }

    /// <summary>Trains for <paramref name="steps"/> AdamW steps; returns the last loss and the predicted class of each input.</summary>
    public static (double Loss, long[] Predictions) Run(int steps = 300)
    {
        // region: autograd
        var x = Tensor.FromArray([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], [4, 2]);      // four inputs, row-major
        var labels = Tensor.FromArray([0L, 1L, 1L, 0L], [4]);                      // their XOR, as class ids
        var generator = new Generator(seed: 7);                                    // same seed, same numbers
        Tensor[] parameters =
        [
            Tensor.Normal([8, 2], generator, std: 0.5), Tensor.Zeros([8]),          // W1 [out, in], b1
            Tensor.Normal([2, 8], generator, std: 0.5), Tensor.Zeros([2]),          // W2, b2
        ];
        foreach (var p in parameters) p.RequiresGrad = true;
        using var optimizer = new AdamW(parameters, learningRate: 0.05, weightDecay: 0);

        double lastLoss = double.NaN;
        for (int step = 0; step < steps; step++)
        {
            using var scope = Tensor.Scope();                                      // frees this step's tensors at the brace
            var hidden = Ops.Tanh(Ops.Linear(x, parameters[0], parameters[1]));   // tanh(x·W1ᵀ + b1)
            var logits = Ops.Linear(hidden, parameters[2], parameters[3]);
            var loss = Ops.CrossEntropy(logits, labels);                           // mean over the 4 rows
            loss.Backward();                                                       // fills every parameter's .Grad
            optimizer.Step();
            optimizer.ZeroGrad();
            lastLoss = loss.Item();
        }
        // endregion

        using var final = Tensor.Scope();
        float[] scores = Ops.Linear(Ops.Tanh(Ops.Linear(x, parameters[0], parameters[1])), parameters[2], parameters[3]).ToArray<float>();
        long[] predictions = [.. Enumerable.Range(0, 4).Select(row => scores[2 * row + 1] > scores[2 * row] ? 1L : 0L)];
        foreach (var p in parameters) p.Dispose();
        x.Dispose();
        labels.Dispose();
        return (lastLoss, predictions);
    }
}
