namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Decoding of the Hopper (sm_90) instruction families: <c>wgmma.*</c> (PTX ISA "Asynchronous
/// Warpgroup Level Matrix Multiply-Accumulate Instructions"), <c>mbarrier.*</c> ("Parallel
/// Synchronization and Communication Instructions: mbarrier"), <c>elect.sync</c> and the bulk copies
/// <c>cp.async.bulk</c> and <c>cp.async.bulk.tensor</c> (global → shared, signalling an mbarrier).
/// </summary>
internal static partial class InstructionDecoder
{
    static bool IsHopper(Opcode op) => op is >= Opcode.WgmmaMmaAsync and <= Opcode.CpAsyncBulkTensor;

    /// <summary>Decodes <paramref name="parts"/> (the opcode split at '.') when it is a Hopper instruction; false otherwise.</summary>
    static bool TryDecodeHopper(string[] parts, Instruction ins, int line)
    {
        int first;
        switch (parts[0])
        {
            case "wgmma" when parts.Length > 1:
                ins.Op = parts[1] switch
                {
                    "mma_async" => Opcode.WgmmaMmaAsync,
                    "fence" => Opcode.WgmmaFence,
                    "commit_group" => Opcode.WgmmaCommitGroup,
                    "wait_group" => Opcode.WgmmaWaitGroup,
                    _ => throw Unsupported(line, ins.Text),
                };
                first = 2;
                break;
            case "mbarrier" when parts.Length > 1:
                ins.Op = parts[1] switch
                {
                    "init" => Opcode.MbarrierInit,
                    "arrive" => Opcode.MbarrierArrive,
                    "expect_tx" => Opcode.MbarrierExpectTx,
                    "test_wait" or "try_wait" => Opcode.MbarrierWait,
                    "inval" => Opcode.MbarrierInval,
                    _ => throw Unsupported(line, ins.Text),
                };
                first = 2;
                break;
            case "elect":
                ins.Op = Opcode.Elect;
                first = 1;
                break;
            case "cp" when parts.Length > 4 && parts[1] == "async" && parts[2] == "bulk" && parts[3] == "tensor":
                // cp.async.bulk.tensor.Nd.shared::cluster.global[.tile].mbarrier::complete_tx::bytes (PTX ISA
                // "cp.async.bulk.tensor"): the tile mode, no multicast, no cache hint; a cluster of one CTA.
                if (parts[4] is not ("1d" or "2d" or "3d" or "4d" or "5d") || parts.Length is not (8 or 9)
                    || parts[5] is not ("shared::cluster" or "shared::cta") || parts[6] != "global"
                    || (parts.Length == 9 && parts[7] != "tile") || parts[^1] != "mbarrier::complete_tx::bytes")
                    throw Unsupported(line, ins.Text);
                ins.Op = Opcode.CpAsyncBulkTensor;
                ins.Space = StateSpace.Shared;
                ins.TensorRank = parts[4][0] - '0';
                return true;
            case "cp" when parts.Length > 2 && parts[1] == "async" && parts[2] == "bulk":
                // Only the global → shared form that signals an mbarrier (PTX ISA "cp.async.bulk");
                // a cluster of one CTA: shared::cluster is this block's shared memory.
                if (parts.Length != 6 || parts[3] is not ("shared::cluster" or "shared::cta") || parts[4] != "global"
                    || parts[5] != "mbarrier::complete_tx::bytes")
                    throw Unsupported(line, ins.Text);
                ins.Op = Opcode.CpAsyncBulk;
                ins.Space = StateSpace.Shared;
                return true;
            default:
                return false;
        }

        var types = new List<PtxType>();
        for (int k = first; k < parts.Length; k++)
        {
            var m = parts[k];
            var type = PtxTypes.Parse(m);
            if (type != PtxType.None) { types.Add(type); continue; }
            if (ins.Op == Opcode.WgmmaMmaAsync && TryWgmmaShape(m, out int n)) { ins.WgmmaN = n; continue; }
            switch (m)
            {
                case "shared" or "shared::cta": ins.Space = StateSpace.Shared; continue;
                case "expect_tx" when ins.Op == Opcode.MbarrierArrive: ins.ExpectTx = true; continue;
                case "parity" when ins.Op == Opcode.MbarrierWait: ins.Parity = true; continue;
                // Ordering and scope: every access is immediately visible on the software GPU.
                case "sync" or "aligned" or "release" or "acquire" or "relaxed" or "cta":
                    continue;
            }
            throw new PtxParseException(line, $"unsupported modifier '.{m}' in '{ins.Text}'");
        }

        if (ins.Op == Opcode.WgmmaMmaAsync)
        {
            // .shape.dtype.atype.btype: f32 accumulators from tf32 (k8) or bf16/f16 (k16) operands.
            if (ins.WgmmaN == 0 || types.Count != 3 || types[0] != PtxType.F32 || types[1] != types[2]
                || types[1] is not (PtxType.TF32 or PtxType.BF16 or PtxType.F16))
                throw Unsupported(line, ins.Text);
            int k = int.Parse(parts.First(p => p.StartsWith("m64n", StringComparison.Ordinal)).Split('k')[1]);
            if (k != (types[1] == PtxType.TF32 ? 8 : 16)) throw Unsupported(line, ins.Text);
            ins.Type = PtxType.F32;
            ins.SourceType = types[1];
        }
        else if (ins.Op is >= Opcode.MbarrierInit and <= Opcode.MbarrierInval)
        {
            if (types.Count != 1 || types[0] != PtxType.B64 || ins.Space != StateSpace.Shared)
                throw new PtxParseException(line, $"'{ins.Text}': the software GPU supports mbarrier objects as .shared(::cta).b64 only");
            ins.Type = PtxType.B64;
        }
        else if (types.Count > 0) throw Unsupported(line, ins.Text);
        return true;
    }

    /// <summary>"m64nNkK": N a multiple of 8 from 8 to 256 (the M of every wgmma is 64).</summary>
    static bool TryWgmmaShape(string m, out int n)
    {
        n = 0;
        if (!m.StartsWith("m64n", StringComparison.Ordinal)) return false;
        var nk = m[4..].Split('k');
        return nk.Length == 2 && int.TryParse(nk[0], out n) && n is >= 8 and <= 256 && n % 8 == 0 && int.TryParse(nk[1], out _);
    }

    /// <summary>Operand counts of the Hopper instructions; also checks which operands must be addresses.</summary>
    static (int Min, int Max) HopperOperandShape(Instruction ins)
    {
        var ops = ins.Operands;
        int address = ins.Op switch
        {
            Opcode.MbarrierInit or Opcode.MbarrierExpectTx or Opcode.MbarrierInval or Opcode.CpAsyncBulk or Opcode.CpAsyncBulkTensor => 0,
            Opcode.MbarrierArrive or Opcode.MbarrierWait => 1,
            _ => -1,
        };
        if (address >= 0 && (ops.Length <= address || ops[address].Kind != OperandKind.Address))
            throw new PtxParseException(ins.Line, $"'{ins.Text}' needs the barrier's address [..] as operand {address + 1}");
        if (ins.Op == Opcode.CpAsyncBulk && (ops.Length != 4 || ops[1].Kind != OperandKind.Address || ops[3].Kind != OperandKind.Address))
            throw new PtxParseException(ins.Line, $"'{ins.Text}' needs [destination], [source], size, [mbarrier]");
        if (ins.Op == Opcode.CpAsyncBulkTensor && (ops.Length != 3 || ops[1].Kind != OperandKind.Address || ops[1].Elements?.Length != ins.TensorRank
                                                   || ops[2].Kind != OperandKind.Address))
            throw new PtxParseException(ins.Line, $"'{ins.Text}' needs [destination], [tensor map, {{{ins.TensorRank} coordinates}}], [mbarrier]");
        if (ins.Op == Opcode.WgmmaMmaAsync)
        {
            // A from registers ("Register Fragments"): four .b32 registers, two bf16/f16 or one tf32 element each.
            if (ops.Length > 1 && ops[1].Kind == OperandKind.Vector && VectorLength(ops[1]) != 4)
                throw new PtxParseException(ins.Line, $"'{ins.Text}' needs A as {{4}} .b32 registers (or a shared-memory descriptor)");
            if (ops.Length > 0 && VectorLength(ops[0]) != ins.WgmmaN / 2)
                throw new PtxParseException(ins.Line, $"'{ins.Text}' needs {{{ins.WgmmaN / 2}}} f32 accumulator registers (N/2 for m64n{ins.WgmmaN})");
        }
        return ins.Op switch
        {
            // bf16/f16 add imm-trans-b, and imm-trans-a when A is in shared memory
            Opcode.WgmmaMmaAsync => ins.SourceType == PtxType.TF32 ? (6, 6) : ARegisters(ins) ? (7, 7) : (8, 8),
            Opcode.WgmmaFence or Opcode.WgmmaCommitGroup => (0, 0),
            Opcode.WgmmaWaitGroup or Opcode.MbarrierInval => (1, 1),
            Opcode.MbarrierInit or Opcode.MbarrierExpectTx or Opcode.Elect => (2, 2),
            Opcode.MbarrierArrive => ins.ExpectTx ? (3, 3) : (2, 3),
            Opcode.MbarrierWait => (3, 4),   // the optional 4th is try_wait's suspend-time hint
            Opcode.CpAsyncBulk => (4, 4),
            Opcode.CpAsyncBulkTensor => (3, 3),
            _ => (0, 0),
        };
    }

    /// <summary>Whether a <c>wgmma.mma_async</c> takes A from registers (<c>{a0, a1, a2, a3}</c>) rather than a descriptor.</summary>
    public static bool ARegisters(Instruction ins) => ins.Operands.Length > 1 && ins.Operands[1].Kind == OperandKind.Vector;

    /// <summary>The type an operand of a Hopper instruction reads (so an immediate there gets the right bits).</summary>
    static PtxType HopperOperandType(Instruction ins, int index) => ins.Op switch
    {
        Opcode.WgmmaMmaAsync => index switch
        {
            0 => PtxType.F32, 1 => ARegisters(ins) ? PtxType.B32 : PtxType.B64, 2 => PtxType.B64, 3 => PtxType.Pred, _ => PtxType.S32,
        },
        Opcode.MbarrierArrive when index == 0 => PtxType.B64,
        Opcode.MbarrierWait when index == 0 => PtxType.Pred,
        Opcode.MbarrierWait when index == 2 && !ins.Parity => PtxType.B64,
        _ => PtxType.U32,
    };
}
