using CudaBert.Engine.Optim;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// The two synchronisations of data-parallel training. Every rank holds the same model and takes a
/// different share of each batch: the ranks start from rank 0's parameters
/// (<see cref="BroadcastParameters"/>) and, after each backward pass, replace their gradients by the
/// mean over the ranks (<see cref="AverageGradients"/>); from equal parameters and equal gradients
/// their optimizers then take equal steps, so the copies stay the same.
/// </summary>
public static class DataParallel
{
    /// <summary>Overwrites every parameter on every rank with rank <paramref name="root"/>'s values.</summary>
    public static void BroadcastParameters(ICommunicator communicator, IEnumerable<Tensor> parameters, int root = 0)
    {
        if (communicator.Size == 1) return;
        foreach (var parameter in parameters) communicator.Broadcast(parameter, root);
    }

    /// <summary>
    /// Replaces each parameter's gradient by its mean over the ranks: g = (1/N) Σ_r g_r, computed before
    /// clipping, so the global norm of <see cref="GradientClipping"/> is then the norm of the mean.
    /// A parameter that has a gradient on some ranks only gets a zero gradient on the others first
    /// (their batch share gave it none, e.g. no example of theirs carried that task's labels); one that
    /// has none on any rank keeps none, so the optimizer skips it as a single process would.
    /// </summary>
    /// <param name="communicator">The ranks.</param>
    /// <param name="parameters">The trainable parameters, in the same order on every rank.</param>
    /// <param name="contributed">Whether this rank ran a backward pass since the gradients were last cleared.</param>
    /// <returns>Whether any rank contributed: when none did, no rank should take an optimizer step.</returns>
    public static bool AverageGradients(ICommunicator communicator, IReadOnlyList<Tensor> parameters, bool contributed)
    {
        if (communicator.Size == 1) return contributed;
        // Which parameters hold a gradient on which ranks, and who ran a batch: counted in one small sum.
        var present = new float[parameters.Count + 1];
        for (int i = 0; i < parameters.Count; i++) present[i] = parameters[i].Grad is null ? 0 : 1;
        present[^1] = contributed ? 1 : 0;
        float[] counts;
        using (var buffer = Tensor.FromArray(present, [present.Length], device: parameters.Count > 0 ? parameters[0].Device : Device.Cpu))
        {
            communicator.AllReduceSum(buffer);
            counts = buffer.ToArray<float>();
        }
        for (int i = 0; i < parameters.Count; i++)
        {
            if (counts[i] == 0) continue;
            var parameter = parameters[i];
            parameter.Grad ??= Tensor.Zeros(parameter.Shape, parameter.DType, parameter.Device).Keep();
            communicator.AllReduceAverage(parameter.Grad);
        }
        return counts[^1] > 0;
    }
}
