namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Hopper's warpgroup matrix multiply (PTX ISA 8.4, "Asynchronous Warpgroup Level Matrix
/// Multiply-Accumulate Instructions"): <c>wgmma.mma_async</c>, <c>.commit_group</c>,
/// <c>.wait_group</c> (and <c>wgmma.fence</c>, a no-op here).
///
/// A warpgroup is 4 consecutive warps (threads 128q .. 128q + 127). All three instructions are
/// <c>.sync.aligned</c>: every thread of the warpgroup executes the same one, so each is a rendezvous
/// of the 128 threads. <c>mma_async</c> only records the product (its descriptors and scale-d, read
/// at issue); the product is computed when <c>wait_group</c> retires its group — reading shared
/// memory and the accumulator registers then, and writing the accumulators. A kernel that
/// overwrites an operand in shared memory, or reads an accumulator, before waiting therefore gets a
/// wrong result here, as it may on the hardware.
///
/// Operands A (64×K) and B (N×K, i.e. Bᵀ stored K-major) come from shared memory through 64-bit
/// matrix descriptors ("Matrix Descriptor Format"): start address (bits 0–13), leading-dimension
/// byte offset LBO (16–29), stride-dimension byte offset SBO (32–45), all in units of 16 bytes;
/// base offset (49–51); swizzle mode (62–63: 0 none, 1 = 128-byte, 2 = 64-byte, 3 = 32-byte).
/// Layouts ("Shared Memory Matrix Layout"), K-major, for element (row r, byte kb of the row's K
/// extent): without swizzle the operand is made of 8-row × 16-byte "core matrices" stored as 128
/// contiguous bytes: start + (r / 8)·SBO + (kb / 16)·LBO + (r % 8)·16 + kb % 16. With a W-byte swizzle
/// (W = 128, 64, 32) rows are W bytes apart: start + (r / 8)·SBO + (r % 8)·W + kb, and then the
/// address's 16-byte-chunk bits 4.. are XORed with its bits 7.. (3, 2 or 1 bits wide) — the swizzle
/// acts on absolute shared addresses, which is why swizzled buffers sit on W·8-byte boundaries.
/// 16-bit operands may instead be MN-major (imm-trans-a / imm-trans-b = 1, "Shared Memory Matrix
/// Layout": A stored M-major, B N-major, i.e. consecutive rows of the M×K or N×K operand adjacent);
/// for element (row r, k index i), with rb = r·2 the byte along M/N: without swizzle a core matrix
/// is 8 k × 16 bytes of M/N, start + (rb / 16)·SBO + (i / 8)·LBO + (i % 8)·16 + rb % 16; with a
/// W-byte swizzle a W-byte run of M/N is one row, k rows W bytes apart, 8 of them an atom, and the
/// two offsets trade places: start + (rb / W)·LBO + (i / 8)·SBO + (i % 8)·W + rb % W, then the same
/// XOR (the strides table of "Matrix Descriptor Format": for MN-major swizzled layouts LBO steps
/// between W-byte groups of M/N and SBO between 8-row groups of K). TF32 is K-major only.
///
/// A may instead come from registers (<c>wgmma.mma_async … d, {a0, a1, a2, a3}, b-desc, …</c>, no imm-trans-a):
/// each thread's four .b32 registers hold its fragment of A (see <c>GatherWgmmaRegisterA</c>), read, like
/// the accumulators, when the product is computed.
///
/// Accumulators ("Matrix fragments for wgmma .m64nNk*", f32 D): warp w of the warpgroup owns rows
/// 16w .. 16w + 15; with group = lane / 4 and t = lane % 4, register 4j + e holds
/// row 16w + group (+8 for e ≥ 2), column 8j + 2t + (e &amp; 1).
/// Rounding as the mma.sync emulation: TF32 operands keep the top 19 bits (the tensor cores
/// truncate), bf16/f16 are exact; products and the sum with D are accumulated in double and
/// rounded to f32 once.
/// </summary>
internal sealed partial class BlockExecutor
{
    const int WarpgroupSize = 128;

    /// <summary>One recorded <c>wgmma.mma_async</c>: its instruction, the warpgroup-uniform operands, its group (-1: not committed).</summary>
    readonly record struct PendingWgmma(int Pc, ulong DescriptorA, ulong DescriptorB, bool Accumulate, int Group);

    /// <summary>Per warpgroup: recorded products not yet computed, and the number of groups committed.</summary>
    List<PendingWgmma>[]? _pendingWgmma;
    int[]? _wgmmaGroups;
    double[] _wgmmaA = [], _wgmmaB = [];

    /// <summary>Executes every warpgroup instruction that all 128 threads of its warpgroup have reached. True when any did.</summary>
    bool ResolveWarpgroups()
    {
        bool progressed = false;
        for (int start = 0; start < _threadCount; start += WarpgroupSize)
        {
            int waiting = -1;
            for (int t = start; t < Math.Min(start + WarpgroupSize, _threadCount); t++)
                if (_status[t] == ThreadStatus.AtWarpgroup) { waiting = t; break; }
            if (waiting < 0) continue;
            SwitchTo(waiting);
            var ins = _code[_pc[waiting]];
            if (start + WarpgroupSize > _threadCount)
                throw Fault(SanitizerCheck.InvalidCollective, $"{ins.Op} needs a full warpgroup of {WarpgroupSize} threads; the block's last warpgroup has {_threadCount - start}");
            bool all = true;
            for (int t = start; t < start + WarpgroupSize; t++)
            {
                if (_status[t] == ThreadStatus.Exited)
                    throw Fault(SanitizerCheck.InvalidCollective, $"thread {ThreadIndex(t)} of the warpgroup has exited, so '{ins.Text}' can never complete");
                if (_status[t] != ThreadStatus.AtWarpgroup) { all = false; break; }
                if (_pc[t] != _pc[waiting])
                    throw Fault(SanitizerCheck.InvalidCollective, $"threads of one warpgroup execute different .aligned instructions ('{_code[_pc[t]].Text}' at line {_code[_pc[t]].Line} vs '{ins.Text}')");
            }
            if (!all) continue;

            ExecuteWarpgroup(ins, start);
            for (int t = start; t < start + WarpgroupSize; t++)
            {
                _pc[t]++;
                _status[t] = ThreadStatus.Runnable;
            }
            progressed = true;
        }
        return progressed;
    }

    void ExecuteWarpgroup(Instruction ins, int start)
    {
        int warpgroup = start / WarpgroupSize;
        _pendingWgmma ??= new List<PendingWgmma>[(_threadCount + WarpgroupSize - 1) / WarpgroupSize];
        _wgmmaGroups ??= new int[_pendingWgmma.Length];
        var pending = _pendingWgmma[warpgroup] ??= [];
        switch (ins.Op)
        {
            case Opcode.WgmmaMmaAsync:
            {
                // The descriptors and scale-d must be the same in every thread: the hardware reads them once.
                // A in registers differs from thread to thread (it is read when the product is computed).
                bool aRegisters = InstructionDecoder.ARegisters(ins);
                SwitchTo(start);
                ulong a = aRegisters ? 0 : Read(ins.Operands[1]), b = Read(ins.Operands[2]);
                bool accumulate = ReadPredicate(ins.Operands[3]);
                for (int t = start + 1; t < start + WarpgroupSize; t++)
                {
                    SwitchTo(t);
                    if (!aRegisters && Read(ins.Operands[1]) != a || Read(ins.Operands[2]) != b || ReadPredicate(ins.Operands[3]) != accumulate)
                        throw Fault(SanitizerCheck.InvalidCollective, $"the threads of a warpgroup give '{ins.Text}' different descriptors or scale-d (thread {ThreadIndex(start)}: 0x{a:x16}, 0x{b:x16}, {accumulate})");
                }
                pending.Add(new PendingWgmma(_pc[start], a, b, accumulate, -1));
                break;
            }
            case Opcode.WgmmaCommitGroup:
            {
                int group = ++_wgmmaGroups[warpgroup];
                for (int k = 0; k < pending.Count; k++)
                    if (pending[k].Group < 0) pending[k] = pending[k] with { Group = group };
                break;
            }
            case Opcode.WgmmaWaitGroup:
            {
                SwitchTo(start);
                int lastToComplete = _wgmmaGroups[warpgroup] - (int)Read(ins.Operands[0]);
                for (int k = 0; k < pending.Count; k++)
                {
                    if (pending[k].Group < 0 || pending[k].Group > lastToComplete) continue;
                    ComputeWgmma(pending[k], start);
                    pending.RemoveAt(k--);
                }
                break;
            }
        }
    }

    bool ReadPredicate(in Operand o)
    {
        bool value = (Read(o) & 1) != 0;
        return o.Negated ? !value : value;
    }

    /// <summary>D = scale-a·scale-b·A·Bᵀ (+ D), for the 128 threads of the warpgroup starting at <paramref name="start"/>.</summary>
    void ComputeWgmma(PendingWgmma op, int start)
    {
        var ins = _code[op.Pc];
        int n = ins.WgmmaN, k = ins.SourceType == PtxType.TF32 ? 8 : 16;
        SwitchTo(start);   // the first thread reads the operands (for reports)
        bool aRegisters = InstructionDecoder.ARegisters(ins);
        bool mMajorA = false, nMajorB = false;   // imm-trans-a (A in shared memory only), imm-trans-b: 16-bit types only
        if (ins.SourceType != PtxType.TF32)
        {
            mMajorA = !aRegisters && Read(ins.Operands[6]) != 0;
            nMajorB = Read(ins.Operands[aRegisters ? 6 : 7]) != 0;
        }
        if (_wgmmaA.Length < 64 * k) _wgmmaA = new double[64 * k];
        if (_wgmmaB.Length < n * k) _wgmmaB = new double[n * k];
        if (aRegisters) GatherWgmmaRegisterA(ins, start, _wgmmaA);
        else LoadWgmmaOperand(op.DescriptorA, 64, k, mMajorA, ins.SourceType, _wgmmaA, ins);
        SwitchTo(start);
        LoadWgmmaOperand(op.DescriptorB, n, k, nMajorB, ins.SourceType, _wgmmaB, ins);
        double scale = (int)Read(ins.Operands[4]) * (int)Read(ins.Operands[5]) < 0 ? -1 : 1;   // imm-scale-a, imm-scale-b: 1 or -1

        for (int t = start; t < start + WarpgroupSize; t++)
        {
            SwitchTo(t);
            var d = ins.Operands[0].Elements!;
            int warp = (t - start) / 32, lane = (t - start) % 32, group = lane / 4, quad = lane % 4;
            for (int j = 0; j < n / 8; j++)
            for (int e = 0; e < 4; e++)
            {
                int row = 16 * warp + group + (e >= 2 ? 8 : 0), col = 8 * j + 2 * quad + (e & 1);
                double sum = op.Accumulate ? BitConverter.UInt32BitsToSingle((uint)Read(d[4 * j + e])) : 0.0;
                double product = 0;
                for (int i = 0; i < k; i++) product += _wgmmaA[row * k + i] * _wgmmaB[col * k + i];
                Write(d[4 * j + e], BitConverter.SingleToUInt32Bits((float)(sum + scale * product)));
            }
        }
    }

    /// <summary>
    /// Collects A (64×K, row-major into <paramref name="values"/>) from the four registers {a0, a1, a2, a3} of each
    /// thread of the warpgroup starting at <paramref name="start"/>. PTX ISA "Register Fragments and Shared Memory
    /// Matrix Layouts", "Matrix Fragments for wgmma.mma_async.m64nNk16" (and .m64nNk8): warp w holds rows
    /// 16w .. 16w + 15, as one mma.sync m16n8k16 (m16n8k8) A fragment; with group = lane / 4 and t = lane % 4,
    /// register j holds row 16w + group + 8·(j &amp; 1) and
    ///   bf16/f16: columns 2t + 8·(j / 2) (low half) and 2t + 8·(j / 2) + 1 (high half);
    ///   tf32:     column t + 4·(j / 2), one element (truncated to tf32 as from shared memory).
    /// </summary>
    void GatherWgmmaRegisterA(Instruction ins, int start, double[] values)
    {
        var a = ins.Operands[1].Elements!;
        int k = ins.SourceType == PtxType.TF32 ? 8 : 16;
        for (int thread = start; thread < start + WarpgroupSize; thread++)
        {
            SwitchTo(thread);
            int warp = (thread - start) / 32, lane = (thread - start) % 32, group = lane / 4, t = lane % 4;
            for (int j = 0; j < 4; j++)
            {
                uint bits = (uint)Read(a[j]);
                int row = 16 * warp + group + 8 * (j & 1);
                if (ins.SourceType == PtxType.TF32)
                {
                    values[row * k + t + 4 * (j / 2)] = FloatRounding.Tf32OperandToSingle(bits);
                    continue;
                }
                for (int half = 0; half < 2; half++)
                {
                    ushort element = (ushort)(bits >> (16 * half));
                    values[row * k + 2 * t + 8 * (j / 2) + half] = ins.SourceType == PtxType.BF16
                        ? FloatRounding.BFloat16ToSingle(element) : FloatRounding.HalfToSingle(element);
                }
            }
        }
    }

    /// <summary>
    /// Reads a <paramref name="rows"/>×<paramref name="k"/> operand, K-major or (<paramref name="mnMajor"/>)
    /// M/N-major in shared memory, through its descriptor into <paramref name="values"/> (row-major).
    /// </summary>
    void LoadWgmmaOperand(ulong descriptor, int rows, int k, bool mnMajor, PtxType type, double[] values, Instruction ins)
    {
        ulong start = (descriptor & 0x3FFF) << 4;
        ulong leading = ((descriptor >> 16) & 0x3FFF) << 4;
        ulong stride = ((descriptor >> 32) & 0x3FFF) << 4;
        int baseOffset = (int)((descriptor >> 49) & 7);
        int swizzle = (int)(descriptor >> 62);
        if (baseOffset != 0)
            throw Fault(SanitizerCheck.InvalidCollective, $"'{ins.Text}': descriptor 0x{descriptor:x16} has matrix base offset {baseOffset}; the software GPU supports 0 only (swizzled buffers on their pattern's boundary)");
        int width = swizzle == 0 ? 16 : 256 >> swizzle;   // 1 → 128, 2 → 64, 3 → 32 bytes
        int elementBytes = type == PtxType.TF32 ? 4 : 2;
        for (int r = 0; r < rows; r++)
        for (int i = 0; i < k; i++)
        {
            int kb = i * elementBytes, rb = r * elementBytes;
            ulong address = (mnMajor, swizzle == 0) switch
            {
                (false, true) => start + (ulong)(r / 8) * stride + (ulong)(kb / 16) * leading + (ulong)(r % 8 * 16 + kb % 16),
                (false, false) => start + (ulong)(r / 8) * stride + (ulong)(kb / width) * leading + (ulong)(r % 8 * width + kb % width),
                (true, true) => start + (ulong)(rb / 16) * stride + (ulong)(i / 8) * leading + (ulong)(i % 8 * 16 + rb % 16),
                (true, false) => start + (ulong)(rb / width) * leading + (ulong)(i / 8) * stride + (ulong)(i % 8 * width + rb % width),
            };
            address = SharedMemorySwizzle.Apply(address, swizzle == 0 ? 0 : width);
            var bytes = Access(StateSpace.Shared, address, elementBytes, AccessKind.Read);
            values[r * k + i] = type switch
            {
                PtxType.TF32 => FloatRounding.Tf32OperandToSingle(BitConverter.ToUInt32(bytes)),
                PtxType.BF16 => FloatRounding.BFloat16ToSingle(BitConverter.ToUInt16(bytes)),
                _ => FloatRounding.HalfToSingle(BitConverter.ToUInt16(bytes)),
            };
        }
    }

    /// <summary>Forgets what the previous block left behind: recorded products (and, in BlockExecutor.Mbarrier.cs, mbarrier objects).</summary>
    void ResetHopperState()
    {
        if (_pendingWgmma is not null)
        {
            foreach (var list in _pendingWgmma) list?.Clear();
            Array.Clear(_wgmmaGroups!);
        }
        ResetMbarriers();
    }
}
