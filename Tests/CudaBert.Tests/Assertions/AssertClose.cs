using System.Numerics;
using CudaBert.Engine;
using static System.FormattableString;

namespace CudaBert.Tests.Assertions;

/// <summary>
/// "Equal up to rounding", said one way everywhere: every check takes the expected value (the
/// reference), the actual value, what was compared, and a bound made of an <c>absolute</c> part and
/// a <c>relative</c> part, always named at the call site:
/// <code>AssertClose.Elementwise(cpuY, cudaY, "gelu", absolute: 1e-7, relative: 8 * U);</code>
/// The three checks differ only in what the relative part multiplies:
/// <list type="bullet">
/// <item><see cref="Scalar"/>: |actual − expected| ≤ absolute + relative·|expected|.</item>
/// <item><see cref="Elementwise(ReadOnlySpan{float}, ReadOnlySpan{float}, string, double, double)"/>:
/// the same bound for every element i, with |expected_i|.</item>
/// <item><see cref="ToScale(ReadOnlySpan{float}, ReadOnlySpan{float}, string, double, double)"/>:
/// relative·max_j |expected_j| for every element — for tensors whose entries may cancel to near zero
/// (gradients, parameters after AdamW), where any two correct implementations differ in relative terms.</item>
/// </list>
/// A NaN on either side always fails (every comparison with NaN is false). A failure names what was
/// compared, the element's index, the expected and actual values, the error and the bound.
/// </summary>
static class AssertClose
{
    /// <summary>|actual − expected| ≤ absolute + relative·|expected|.</summary>
    public static void Scalar(double expected, double actual, string what, double absolute = 0, double relative = 0)
    {
        double bound = absolute + relative * Math.Abs(expected);
        double error = Math.Abs(actual - expected);
        if (!(error <= bound))
            Assert.Fail(Message(what, expected, actual, error, bound, Invariant($"{absolute:E1} + {relative:E1}·|expected|")));
    }

    /// <summary>Every element within absolute + relative·|expected_i|; names the first that is not.</summary>
    public static void Elementwise(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double absolute = 0, double relative = 0) =>
        EachElement(expected, actual, what, absolute, relative);

    /// <inheritdoc cref="Elementwise(ReadOnlySpan{float}, ReadOnlySpan{float}, string, double, double)"/>
    public static void Elementwise(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what, double absolute = 0, double relative = 0) =>
        EachElement(expected, actual, what, absolute, relative);

    /// <summary>The same shape, then every element within absolute + relative·|expected_i| (tensors on any device).</summary>
    public static void Elementwise(Tensor expected, Tensor actual, string what, double absolute = 0, double relative = 0)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        EachElement<double>(expected.ToDoubleArray(), actual.ToDoubleArray(), $"{what} of {expected.Shape}", absolute, relative);
    }

    /// <summary>Every element within absolute + relative·max_j |expected_j|; names the element with the largest error.</summary>
    public static void ToScale(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double absolute = 0, double relative = 0) =>
        AgainstScale(expected, actual, what, absolute, relative);

    /// <inheritdoc cref="ToScale(ReadOnlySpan{float}, ReadOnlySpan{float}, string, double, double)"/>
    public static void ToScale(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what, double absolute = 0, double relative = 0) =>
        AgainstScale(expected, actual, what, absolute, relative);

    static void EachElement<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what, double absolute, double relative)
        where T : IFloatingPointIeee754<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        int first = -1, outside = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double want = double.CreateChecked(expected[i]), got = double.CreateChecked(actual[i]);
            if (!(Math.Abs(got - want) <= absolute + relative * Math.Abs(want)))
            {
                if (first < 0) first = i;
                outside++;
            }
        }
        if (first < 0) return;
        double e = double.CreateChecked(expected[first]), a = double.CreateChecked(actual[first]);
        string more = outside > 1 ? $"; {outside - 1} more elements outside their bounds" : "";
        Assert.Fail(Message($"{what}[{first}]", e, a, Math.Abs(a - e), absolute + relative * Math.Abs(e), Invariant($"{absolute:E1} + {relative:E1}·|expected|{more}")));
    }

    static void AgainstScale<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what, double absolute, double relative)
        where T : IFloatingPointIeee754<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        double scale = 0, worstError = -1;
        int worst = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double want = double.CreateChecked(expected[i]), got = double.CreateChecked(actual[i]);
            scale = Math.Max(scale, Math.Abs(want));
            // A NaN counts as the largest error (a plain "greater than" search would step over it).
            double error = Math.Abs(got - want);
            if (double.IsNaN(error)) error = double.PositiveInfinity;
            if (error > worstError) (worst, worstError) = (i, error);
        }
        double bound = absolute + relative * scale;
        if (worst < 0 || worstError <= bound) return;
        double e = double.CreateChecked(expected[worst]), a = double.CreateChecked(actual[worst]);
        Assert.Fail(Message($"{what}[{worst}]", e, a, Math.Abs(a - e), bound, Invariant($"{absolute:E1} + {relative:E1}·max|expected|, max|expected| = {scale:R}")));
    }

    static string Message(string where, double expected, double actual, double error, double bound, string boundFormula) =>
        Invariant($"{where}: expected {expected:R}, actual {actual:R}, error {error:E3} > bound {bound:E3} = {boundFormula}");
}
