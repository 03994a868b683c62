using CudaBert.Engine.Autograd;

namespace CudaBert.Engine;

/// <summary>
/// The differentiable operations, named and shaped as in PyTorch. Each one checks its arguments,
/// computes its result with the backend of its inputs' device, and — when an input requires a
/// gradient and <see cref="GradMode"/> is enabled — records a node with its backward rule.
/// One file per family of ops.
/// </summary>
public static partial class Ops
{
    /// <summary>Whether a result computed from <paramref name="inputs"/> must record a node.</summary>
    private static bool ShouldRecord(params Tensor?[] inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t?.RequiresGrad == true) return true;
        return false;
    }

    /// <summary>Attaches the backward rule to <paramref name="output"/> when an input requires a gradient.</summary>
    private static Tensor Record(Tensor output, string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!ShouldRecord(inputs)) return output;
        output.GradFn = new BackwardFunction(name, inputs, backward);
        output.MarkRequiresGrad();
        return output;
    }

    private static Tensor EmptyLike(Tensor t) => Tensor.Empty(t.Shape, t.DType, t.Device);

    private static void CheckFloat(string op, Tensor t, string name)
    {
        if (!t.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: {name} must be a floating-point tensor, got {t.DType} {t.Shape}");
        if (t.IsDisposed) throw new ObjectDisposedException($"{op}: {name} {t.Shape} was disposed");
    }

    private static void CheckIndex(string op, Tensor t, string name)
    {
        if (t.DType is not (DType.Int32 or DType.Int64)) throw new ArgumentException($"{op}: {name} must be an Int32 or Int64 tensor, got {t.DType} {t.Shape}");
    }

    /// <summary>Same dtype and device as <paramref name="reference"/>.</summary>
    private static void CheckCompatible(string op, Tensor reference, Tensor other, string name)
    {
        if (other.DType != reference.DType || other.Device != reference.Device)
            throw new ArgumentException($"{op}: {name} is {other.DType} on {other.Device}, expected {reference.DType} on {reference.Device}");
    }

    private static void CheckSameShape(string op, Tensor a, Tensor b)
    {
        CheckFloat(op, a, "first operand");
        CheckFloat(op, b, "second operand");
        CheckCompatible(op, a, b, "second operand");
        if (a.Shape != b.Shape) throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} differ");
    }
}
