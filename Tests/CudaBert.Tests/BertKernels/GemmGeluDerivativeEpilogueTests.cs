using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// <see cref="GemmEpilogue.GeluDerivative"/> in every GEMM kernel that has it: C = α·op(A)·op(B) ⊙ GELU′(aux), aux
/// laid out like C, in the layout of the FFN's backward (dz = dy·W ⊙ GELU′(z), "nn"; and "nt" for the Hopper TF32
/// kernel of that layout, whose epilogue code is shared), against the float64 product (<see cref="GemmReference.Compute"/>,
/// on the operands as each kernel rounds them) times GELU′ in float64.
///
/// The bound. The product is within its GEMM's bound β_P (doubled for the tensor cores, as their own tests
/// take it). GELU′(z) = Φ(z) + z·φ(z) in float32 (Kernels/bert/gelu.cuh) is within 5 u of the exact value,
/// u = 2⁻²⁴: Φ carries erff's 2 ulp, the rounding of z/√2 (moved through erf′·z ≤ 0.43) and of 1 + erf, halved:
/// ≤ 2.3 u; z·φ(z) carries 4.5 roundings relative to itself (≤ 0.25) plus the rounding of the exponent z²/2
/// moved through exp (|z|³·φ(z)/2 ≤ 0.24): ≤ 1.4 u; their sum one more rounding of ≤ 1.13. Taken as 8 u. The
/// result P̃·G̃ is then off by at most β_P·|G̃| + |P|·8 u, |G̃| ≤ 1.13 + 8 u, plus its own rounding:
/// 1.14·β_P + 8 u·|P| + 2 u·|want|. A bfloat16 C adds its rounding, 2⁻⁸ of the magnitude.
/// </summary>
public class GemmGeluDerivativeEpilogueTests
{
    /// <summary>The kernels, each in the configuration that gives it the epilogue.</summary>
    public enum Kernel { Simt, Tf32Large, Tf32Small, Bf16, Bf16IntoBf16, WgmmaTf32, WgmmaTf32Nt, WgmmaBf16, WgmmaBf16IntoBf16 }

    // None of M, N, K is a multiple of any tile; two batch items. Leading dimensions padded past the
    // matrices (multiples of 8 elements, as the tensor-core kernels need), C's padding checked untouched;
    // ldc = 136 lets the TF32 kernel store runs of 4 as vectors, and N = 131 cuts the last run.
    // B is K×N (N-major) for "nn", N×K (K-major, ldb 48) for "nt".
    const int M = 70, N = 131, K = 45, Batch = 2, Lda = 48, Ldc = 136;
    const long StrideA = (long)M * Lda + 8, StrideC = (long)M * Ldc + 4;
    static bool TransB(Kernel kernel) => kernel == Kernel.WgmmaTf32Nt;
    static int Ldb(Kernel kernel) => TransB(kernel) ? 48 : 136;
    static long StrideB(Kernel kernel) => (long)(TransB(kernel) ? N : K) * Ldb(kernel) + 8;

    public static TheoryData<string, Kernel> DevicesAndKernels()
    {
        var data = new TheoryData<string, Kernel>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var kernel in Enum.GetValues<Kernel>())
                data.Add(device, kernel);
        return data;
    }

    static bool IsBf16(Kernel kernel) => kernel is Kernel.Bf16 or Kernel.Bf16IntoBf16 or Kernel.WgmmaBf16 or Kernel.WgmmaBf16IntoBf16;
    static bool IsHopper(Kernel kernel) => kernel is Kernel.WgmmaTf32 or Kernel.WgmmaTf32Nt or Kernel.WgmmaBf16 or Kernel.WgmmaBf16IntoBf16;
    static bool IntoBf16(Kernel kernel) => kernel is Kernel.Bf16IntoBf16 or Kernel.WgmmaBf16IntoBf16;

    /// <summary>The operand as the kernel multiplies it: TF32 rounded (mma.sync) or truncated (wgmma), bfloat16, or as is.</summary>
    static float Operand(Kernel kernel, float x) => kernel switch
    {
        Kernel.Tf32Large or Kernel.Tf32Small => TestInputs.RoundToTf32(x),
        Kernel.WgmmaTf32 or Kernel.WgmmaTf32Nt => GemmWgmmaKernelTests.TruncateToTf32(x),
        _ when IsBf16(kernel) => TestInputs.FromBf16(TestInputs.ToBf16(x)),
        _ => x,
    };

    /// <summary>GELU′(z) = Φ(z) + z·φ(z) in float64.</summary>
    internal static double GeluDerivative(double z) =>
        0.5 * (1 + CudaBert.Engine.Cpu.Erf.Evaluate(z / Math.Sqrt(2))) + z * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    [Theory, MemberData(nameof(DevicesAndKernels))]
    public void ProductTimesGeluDerivativeOfAux(string device, Kernel kernel)
    {
        using var gpu = IsHopper(kernel) ? GemmWgmmaKernelTests.OpenHopper(device) : TestDevices.Open(device);
        float[] a = TestInputs.NonZero(190, (int)(Batch * StrideA)), b = TestInputs.NonZero(191, (int)(Batch * StrideB(kernel)));
        // z over [-3, 3]: both sides of GELU′'s minimum (−√2) and maximum (√2).
        float[] z = TestInputs.NonZero(192, (int)(Batch * StrideC), scale: 3f);
        float[] before = new float[Batch * StrideC];
        Array.Fill(before, float.NaN);   // β = 0: C is never read, so NaN must not leak in
        const float alpha = -1.25f;
        using DeviceArray<float> dz = new(gpu, z);
        float[] result = Run(gpu, kernel, alpha, a, b, dz.Ptr, before);

        float[] a32 = Array.ConvertAll(a, x => Operand(kernel, x)), b32 = Array.ConvertAll(b, x => Operand(kernel, x));
        double productScale = kernel == Kernel.Simt ? 1 : 2;
        for (int item = 0; item < Batch; item++)
        {
            var (product, productBound) = GemmReference.Compute(false, TransB(kernel), M, N, K, alpha,
                a32[(int)(item * StrideA)..], Lda, b32[(int)(item * StrideB(kernel))..], Ldb(kernel), 0f, new float[M * N], N);
            var expected = new double[M * N];
            var bound = new double[M * N];
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++)
                {
                    int i = m * N + n;
                    expected[i] = product[i] * GeluDerivative(z[item * StrideC + m * Ldc + n]);
                    bound[i] = 1.14 * productScale * productBound[i] + 8 * TestInputs.U * Math.Abs(product[i]) + 2 * TestInputs.U * Math.Abs(expected[i]);
                    if (IntoBf16(kernel)) bound[i] += Math.Pow(2, -8) * (Math.Abs(expected[i]) + bound[i]);
                }
            GemmReference.AssertMatches(expected, bound, result.AsSpan((int)(item * StrideC), M * Ldc).ToArray(),
                before.AsSpan((int)(item * StrideC), M * Ldc).ToArray(), M, N, Ldc, $"{kernel} batch item {item}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    /// <summary>Launches <paramref name="kernel"/> on its product with the epilogue; C as float32 values.</summary>
    static float[] Run(ICudaDevice gpu, Kernel kernel, float alpha, float[] a, float[] b, DevicePtr aux, float[] before)
    {
        const GemmEpilogue epilogue = GemmEpilogue.GeluDerivative;
        int ldb = Ldb(kernel);
        long strideB = StrideB(kernel);
        if (IsBf16(kernel))
        {
            using DeviceArray<ushort> a16 = new(gpu, Array.ConvertAll(a, TestInputs.ToBf16)), b16 = new(gpu, Array.ConvertAll(b, TestInputs.ToBf16));
            bool intoBf16 = IntoBf16(kernel);
            using DeviceArray<float> c32 = new(gpu, before);
            using DeviceArray<ushort> c16 = new(gpu, Array.ConvertAll(before, TestInputs.ToBf16));
            DevicePtr c = intoBf16 ? c16.Ptr : c32.Ptr;
            if (IsHopper(kernel))
                HopperGemmBf16Kernels.Run(gpu, false, false, Batch, M, N, K, alpha, a16.Ptr, Lda, StrideA, b16.Ptr, ldb, strideB, 0f, c, Ldc, StrideC,
                    intoBf16, epilogue: epilogue, aux: aux);
            else
                GemmBf16Kernels.Run(gpu, false, false, Batch, M, N, K, alpha, a16.Ptr, Lda, StrideA, b16.Ptr, ldb, strideB, 0f, c, Ldc, StrideC,
                    intoBf16, epilogue: epilogue, aux: aux);
            return intoBf16 ? Array.ConvertAll(c16.Read(), TestInputs.FromBf16) : c32.Read();
        }
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, before);
        switch (kernel)
        {
            case Kernel.Simt:
                GemmKernels.Simt(gpu, false, false, Batch, M, N, K, alpha, da.Ptr, Lda, StrideA, db.Ptr, ldb, strideB, 0f, dc.Ptr, Ldc, StrideC,
                    epilogue: epilogue, aux: aux);
                break;
            case Kernel.Tf32Large or Kernel.Tf32Small:
                GemmKernels.Tf32(gpu, false, false, Batch, M, N, K, alpha, da.Ptr, Lda, StrideA, db.Ptr, ldb, strideB, 0f, dc.Ptr, Ldc, StrideC,
                    epilogue: epilogue, aux: aux, tile: kernel == Kernel.Tf32Large ? GemmTf32Tile.Large128 : GemmTf32Tile.Small64);
                break;
            case Kernel.WgmmaTf32 or Kernel.WgmmaTf32Nt:
                HopperGemmKernels.Tf32(gpu, false, TransB(kernel), Batch, M, N, K, alpha, da.Ptr, Lda, StrideA, db.Ptr, ldb, strideB, 0f, dc.Ptr, Ldc, StrideC,
                    epilogue: epilogue, aux: aux);
                break;
        }
        return dc.Read();
    }

    [Fact]
    public void RejectsBetaAndAMissingAux()
    {
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var p = new DevicePtr(16);
        var beta = Assert.Throws<ArgumentOutOfRangeException>(() =>
            GemmKernels.Simt(gpu, false, false, 1, 4, 4, 4, 1f, p, p, 0.5f, p, epilogue: GemmEpilogue.GeluDerivative, aux: p));
        Assert.Contains("gemm_simt_f32", beta.Message);
        Assert.Contains("β must be 0", beta.Message);
        var aux = Assert.Throws<ArgumentNullException>(() =>
            GemmBf16Kernels.Run(gpu, false, false, 1, 4, 4, 4, 1f, p, p, 0f, p, cIsBFloat16: false, epilogue: GemmEpilogue.GeluDerivative));
        Assert.Contains("gemm_bf16_nn", aux.Message);
        Assert.Contains("aux", aux.Message);
    }
}
