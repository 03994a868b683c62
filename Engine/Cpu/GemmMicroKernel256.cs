using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// AVX2 micro-kernel: a 6×16 tile of C held in 12 ymm registers (the classic Haswell shape).
/// Also the portable kernel: on hardware without 256-bit vectors the JIT emulates Vector256.
/// </summary>
/// <remarks>
/// Register layout (a ymm register holds 8 floats; x86-64 with AVX2 has 16 of them):
/// <code>
///              B: b0 = Bpack[p, 0..8)   b1 = Bpack[p, 8..16)
///   row 0:  a = broadcast(Apack[p, 0])   c0_0 c0_1
///   ...                                  ...
///   row 5:  a = broadcast(Apack[p, 5])   c5_0 c5_1
/// </code>
/// 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 registers.
/// </remarks>
internal readonly struct GemmMicroKernel256 : IGemmMicroKernel
{
    public static int Mr => 6;
    public static int Nr => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(ai, b1, c5_1);
            a += 6;
            b += 16;
        }

        var va = Vector256.Create(alpha);
        Store(c + 0 * ldc, c0_0, c0_1, va, beta);
        Store(c + 1 * ldc, c1_0, c1_1, va, beta);
        Store(c + 2 * ldc, c2_0, c2_1, va, beta);
        Store(c + 3 * ldc, c3_0, c3_1, va, beta);
        Store(c + 4 * ldc, c4_0, c4_1, va, beta);
        Store(c + 5 * ldc, c5_0, c5_1, va, beta);
    }

    /// <summary>Writes one 16-float row of the tile: alpha·acc (+ beta·C unless beta is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* row, Vector256<float> acc0, Vector256<float> acc1, Vector256<float> alpha, float beta)
    {
        acc0 *= alpha;
        acc1 *= alpha;
        if (beta != 0)
        {
            var vb = Vector256.Create(beta);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), vb, acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 8), vb, acc1);
        }
        acc0.Store(row);
        acc1.Store(row + 8);
    }
}
