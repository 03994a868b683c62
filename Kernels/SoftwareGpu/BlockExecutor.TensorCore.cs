namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Tensor-core instructions, with the fragment layouts of the PTX ISA ("Matrix fragments for
/// mma.m16n8k8 / m16n8k16"). With groupID = lane / 4 and t = lane % 4:
/// <list type="bullet">
/// <item>tf32 m16n8k8: A (16×8, row) a0:(g, t) a1:(g+8, t) a2:(g, t+4) a3:(g+8, t+4);
///   B (8×8, col) b0:(t, g) b1:(t+4, g).</item>
/// <item>f16/bf16 m16n8k16: A register i holds elements 2i (low half) and 2i+1;
///   element k sits at row g (+8 for k in 2,3,6,7), column 2t + (k&amp;1) (+8 for k ≥ 4);
///   B register i holds elements 2i, 2i+1 at row 2t + (k&amp;1) (+8 for k ≥ 2), column g.</item>
/// <item>C and D (16×8, f32): c0:(g, 2t) c1:(g, 2t+1) c2:(g+8, 2t) c3:(g+8, 2t+1).</item>
/// </list>
/// tf32 operands are read as the hardware reads them: only the top 19 bits of each register.
/// Products are exact in double; the sum of products plus C is accumulated in double and rounded
/// to f32 once (hardware accumulates with at least f32 precision, in an unspecified order).
/// </summary>
internal sealed partial class BlockExecutor
{
    readonly double[] _mmaA = new double[16 * 16], _mmaB = new double[16 * 8], _mmaC = new double[16 * 8];

    void ExecuteMma(int warpStart)
    {
        var first = _code[_pc[warpStart]];
        int k = first.Shape == MmaShape.M16N8K8 ? 8 : 16;
        var source = first.SourceType;

        // Gather the fragments of all 32 lanes into whole matrices.
        for (int lane = 0; lane < 32; lane++)
        {
            SwitchTo(warpStart + lane);
            var ins = _code[_pc[_thread]];
            if (ins.Shape != first.Shape || ins.SourceType != source)
                throw Fault(SanitizerCheck.InvalidCollective, $"lanes of one warp execute different mma shapes ('{ins.Text}' vs '{first.Text}')");
            int g = lane >> 2, t = lane & 3;
            var a = ins.Operands[1].Elements!;
            var b = ins.Operands[2].Elements!;
            var c = ins.Operands[3].Elements!;
            if (source == PtxType.TF32)
            {
                _mmaA[g * k + t] = Tf32(a[0]);
                _mmaA[(g + 8) * k + t] = Tf32(a[1]);
                _mmaA[g * k + t + 4] = Tf32(a[2]);
                _mmaA[(g + 8) * k + t + 4] = Tf32(a[3]);
                _mmaB[t * 8 + g] = Tf32(b[0]);
                _mmaB[(t + 4) * 8 + g] = Tf32(b[1]);
            }
            else
            {
                for (int e = 0; e < 8; e++)
                {
                    int row = g + ((e & 2) != 0 ? 8 : 0);
                    int col = 2 * t + (e & 1) + (e >= 4 ? 8 : 0);
                    _mmaA[row * k + col] = Half(a[e >> 1], e & 1, source);
                }
                for (int e = 0; e < 4; e++)
                {
                    int row = 2 * t + (e & 1) + (e >= 2 ? 8 : 0);
                    _mmaB[row * 8 + g] = Half(b[e >> 1], e & 1, source);
                }
            }
            for (int e = 0; e < 4; e++)
                _mmaC[(g + (e >= 2 ? 8 : 0)) * 8 + 2 * t + (e & 1)] = BitConverter.UInt32BitsToSingle((uint)Read(c[e]));
        }

        // D = A·B + C, then scatter D back into each lane's destination registers.
        for (int lane = 0; lane < 32; lane++)
        {
            SwitchTo(warpStart + lane);
            var d = _code[_pc[_thread]].Operands[0].Elements!;
            int g = lane >> 2, t = lane & 3;
            for (int e = 0; e < 4; e++)
            {
                int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
                double sum = _mmaC[row * 8 + col];
                for (int i = 0; i < k; i++) sum += _mmaA[row * k + i] * _mmaB[i * 8 + col];
                Write(d[e], BitConverter.SingleToUInt32Bits((float)sum));
            }
        }
    }

    double Tf32(in Operand register) => FloatRounding.Tf32OperandToSingle((uint)Read(register));

    double Half(in Operand register, int half, PtxType type)
    {
        ushort bits = (ushort)(Read(register) >> (16 * half));
        return type == PtxType.BF16 ? FloatRounding.BFloat16ToSingle(bits) : FloatRounding.HalfToSingle(bits);
    }

    readonly ulong[] _rowAddresses = new ulong[32];
    readonly ushort[] _matrix = new ushort[4 * 64];

    /// <summary>
    /// <c>ldmatrix.sync.aligned.m8n8.xN[.trans].shared.b16 {d0..}, [addr]</c>: lanes 8i..8i+7 give the
    /// addresses of the 8 rows (16 bytes each) of matrix i. Lane l then receives, in register i,
    /// row l/4, columns 2(l%4) and 2(l%4)+1 of matrix i (low half first); <c>.trans</c> delivers
    /// the transposed matrix.
    /// </summary>
    void ExecuteLdmatrix(int warpStart)
    {
        var first = _code[_pc[warpStart]];
        int count = first.Width;
        for (int lane = 0; lane < 32; lane++)
        {
            SwitchTo(warpStart + lane);
            var ins = _code[_pc[_thread]];
            if (ins.Width != count || ins.Transpose != first.Transpose)
                throw Fault(SanitizerCheck.InvalidCollective, $"lanes of one warp execute different ldmatrix forms ('{ins.Text}' vs '{first.Text}')");
            _rowAddresses[lane] = EffectiveAddress(ins.Operands[1]);
        }
        for (int row = 0; row < 8 * count; row++)
        {
            SwitchTo(warpStart + row); // the lane that supplied the row address reads it (for reports)
            var bytes = Access(StateSpace.Shared, _rowAddresses[row], 16, AccessKind.Read);
            for (int col = 0; col < 8; col++) _matrix[row * 8 + col] = BitConverter.ToUInt16(bytes.Slice(2 * col, 2));
        }
        for (int lane = 0; lane < 32; lane++)
        {
            SwitchTo(warpStart + lane);
            var d = _code[_pc[_thread]].Operands[0].Elements!;
            int r = lane >> 2, c = 2 * (lane & 3);
            for (int m = 0; m < count; m++)
            {
                int baseIndex = m * 64;
                ushort lo, hi;
                if (first.Transpose) { lo = _matrix[baseIndex + c * 8 + r]; hi = _matrix[baseIndex + (c + 1) * 8 + r]; }
                else { lo = _matrix[baseIndex + r * 8 + c]; hi = _matrix[baseIndex + r * 8 + c + 1]; }
                Write(d[m], lo | ((ulong)hi << 16));
            }
        }
    }
}
