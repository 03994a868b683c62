using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// AVX-512 micro-kernel: a 12×32 tile of C held in 24 zmm registers.
/// </summary>
/// <remarks>
/// Register layout (a zmm register holds 16 floats; x86-64 with AVX-512 has 32 of them):
/// <code>
///              B: b0 = Bpack[p, 0..16)   b1 = Bpack[p, 16..32)
///   row 0:  a = broadcast(Apack[p, 0])    c0_0  c0_1
///   row 1:  a = broadcast(Apack[p, 1])    c1_0  c1_1
///   ...                                   ...
///   row 11: a = broadcast(Apack[p, 11])   c11_0 c11_1
/// </code>
/// 24 accumulators + 2 B vectors + 1 broadcast = 27 registers, no spills. Each k step issues 24
/// FMAs against 2 vector loads and 12 scalar broadcasts, enough independent FMAs to hide their
/// latency (about 4 cycles × 2 FMA pipes ⇒ at least 8 chains in flight).
/// </remarks>
internal readonly struct GemmMicroKernel512 : IGemmMicroKernel
{
    public static int Mr => 12;
    public static int Nr => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        PrefetchTile(c, ldc);

        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(ai, b1, c7_1);
            ai = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(ai, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(ai, b1, c8_1);
            ai = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(ai, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(ai, b1, c9_1);
            ai = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(ai, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(ai, b1, c10_1);
            ai = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(ai, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(ai, b1, c11_1);
            a += 12;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        Store(c + 0 * ldc, c0_0, c0_1, va, beta);
        Store(c + 1 * ldc, c1_0, c1_1, va, beta);
        Store(c + 2 * ldc, c2_0, c2_1, va, beta);
        Store(c + 3 * ldc, c3_0, c3_1, va, beta);
        Store(c + 4 * ldc, c4_0, c4_1, va, beta);
        Store(c + 5 * ldc, c5_0, c5_1, va, beta);
        Store(c + 6 * ldc, c6_0, c6_1, va, beta);
        Store(c + 7 * ldc, c7_0, c7_1, va, beta);
        Store(c + 8 * ldc, c8_0, c8_1, va, beta);
        Store(c + 9 * ldc, c9_0, c9_1, va, beta);
        Store(c + 10 * ldc, c10_0, c10_1, va, beta);
        Store(c + 11 * ldc, c11_0, c11_1, va, beta);
    }

    /// <summary>
    /// Starts loading the C tile (12 rows × 2 cache lines) into L1 now, so its cache misses overlap
    /// the k loop instead of stalling the stores at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile(float* c, nint ldc)
    {
        if (!Sse.IsSupported)
            return;
        for (int row = 0; row < 12; row++)
        {
            Sse.Prefetch0(c + row * ldc);
            Sse.Prefetch0(c + row * ldc + 16);
        }
    }

    /// <summary>Writes one 32-float row of the tile: alpha·acc (+ beta·C unless beta is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* row, Vector512<float> acc0, Vector512<float> acc1, Vector512<float> alpha, float beta)
    {
        acc0 *= alpha;
        acc1 *= alpha;
        if (beta != 0)
        {
            var vb = Vector512.Create(beta);
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), vb, acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 16), vb, acc1);
        }
        acc0.Store(row);
        acc1.Store(row + 16);
    }
}
