namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Turns an opcode word (<c>ld.global.nc.v4.f32</c>, <c>mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32</c>)
/// into an <see cref="Instruction"/> with enum fields, and checks operand shapes. Anything not
/// implemented is rejected here, at load, with the line and the instruction.
/// </summary>
internal static partial class InstructionDecoder
{
    public static Instruction DecodeOpcode(string text, int line)
    {
        var parts = text.Split('.');
        var ins = new Instruction { Line = line, Text = text };
        int first = 1;
        if (TryDecodeHopper(parts, ins, line)) return ins;
        switch (parts[0])
        {
            case "cp" when parts.Length > 1 && parts[1] == "async":
                first = 2;
                ins.Op = parts.Length > 2 ? parts[2] switch
                {
                    "commit_group" => Opcode.CpAsyncCommitGroup,
                    "wait_group" => Opcode.CpAsyncWaitGroup,
                    "wait_all" => Opcode.CpAsyncWaitAll,
                    _ => Opcode.CpAsync,
                } : Opcode.CpAsync;
                if (ins.Op != Opcode.CpAsync) first = 3;
                break;
            case "bar" or "barrier":
                if (parts.Contains("warp")) ins.Op = Opcode.BarWarpSync;
                else if (parts.Contains("red")) ins.Op = Opcode.BarRed;
                else if (parts.Length == 1 || parts.Contains("sync")) ins.Op = Opcode.BarSync;
                else throw Unsupported(line, text);
                break;
            case "membar" or "fence":
                ins.Op = Opcode.Fence;
                return ins;
            default:
                ins.Op = parts[0] switch
                {
                    "mov" => Opcode.Mov, "ld" => Opcode.Ld, "ldu" => Opcode.Ld, "st" => Opcode.St, "cvta" => Opcode.Cvta, "cvt" => Opcode.Cvt,
                    "add" => Opcode.Add, "sub" => Opcode.Sub, "mul" => Opcode.Mul, "mad" => Opcode.Mad, "fma" => Opcode.Fma,
                    "div" => Opcode.Div, "rem" => Opcode.Rem, "abs" => Opcode.Abs, "neg" => Opcode.Neg, "min" => Opcode.Min, "max" => Opcode.Max,
                    "copysign" => Opcode.Copysign, "rcp" => Opcode.Rcp, "sqrt" => Opcode.Sqrt, "rsqrt" => Opcode.Rsqrt,
                    "ex2" => Opcode.Ex2, "lg2" => Opcode.Lg2, "sin" => Opcode.Sin, "cos" => Opcode.Cos, "tanh" => Opcode.Tanh,
                    "and" => Opcode.And, "or" => Opcode.Or, "xor" => Opcode.Xor, "not" => Opcode.Not, "cnot" => Opcode.Cnot,
                    "shl" => Opcode.Shl, "shr" => Opcode.Shr, "shf" => Opcode.Shf, "bfe" => Opcode.Bfe, "bfi" => Opcode.Bfi, "bfind" => Opcode.Bfind,
                    "prmt" => Opcode.Prmt, "popc" => Opcode.Popc, "clz" => Opcode.Clz, "brev" => Opcode.Brev, "sad" => Opcode.Sad,
                    "setp" => Opcode.Setp, "selp" => Opcode.Selp, "slct" => Opcode.Slct,
                    "bra" => Opcode.Bra, "ret" => Opcode.Ret, "exit" => Opcode.Exit,
                    "shfl" => Opcode.Shfl, "vote" => Opcode.Vote, "redux" => Opcode.Redux, "activemask" => Opcode.Activemask,
                    "atom" => Opcode.Atom, "red" => Opcode.Red, "mma" => Opcode.Mma, "ldmatrix" => Opcode.Ldmatrix,
                    _ => throw Unsupported(line, text),
                };
                break;
        }

        var types = new List<PtxType>();
        bool sawCompare = false;
        for (int k = first; k < parts.Length; k++)
        {
            var m = parts[k];
            var type = PtxTypes.Parse(m);
            if (type != PtxType.None) { types.Add(type); continue; }

            // Modifiers whose meaning depends on the opcode come first.
            if (ins.Op is Opcode.Setp or Opcode.Slct && !sawCompare && TryCompare(m, out var cmp)) { ins.Compare = cmp; sawCompare = true; continue; }
            if (ins.Op == Opcode.Setp && m is "and" or "or" or "xor")
            {
                ins.CombineWith = m switch { "and" => Opcode.And, "or" => Opcode.Or, _ => Opcode.Xor };
                continue;
            }
            if (ins.Op is Opcode.Atom or Opcode.Red or Opcode.Redux && TryAtomic(m, out var atomic)) { ins.Atomic = atomic; continue; }
            if (ins.Op == Opcode.BarRed && m is "popc" or "and" or "or")
            {
                ins.Atomic = m switch { "popc" => AtomicOp.Add, "and" => AtomicOp.And, _ => AtomicOp.Or };
                continue;
            }
            if (ins.Op == Opcode.BarRed && m == "red") continue;
            if (ins.Op == Opcode.Shfl && m is "up" or "down" or "bfly" or "idx")
            {
                ins.Shuffle = m switch { "up" => ShuffleMode.Up, "down" => ShuffleMode.Down, "bfly" => ShuffleMode.Bfly, _ => ShuffleMode.Idx };
                continue;
            }
            if (ins.Op == Opcode.Vote && m is "all" or "any" or "uni" or "ballot")
            {
                ins.Vote = m switch { "all" => VoteMode.All, "any" => VoteMode.Any, "uni" => VoteMode.Uni, _ => VoteMode.Ballot };
                continue;
            }
            if (ins.Op is Opcode.Mul or Opcode.Mad && m is "lo" or "hi" or "wide")
            {
                ins.Mul = m switch { "lo" => MulMode.Lo, "hi" => MulMode.Hi, _ => MulMode.Wide };
                continue;
            }
            switch (m)
            {
                case "global": ins.Space = ins.Op == Opcode.CpAsync ? ins.Space : StateSpace.Global; continue; // cp.async.*.shared.global: destination is shared
                case "shared" or "shared::cta": ins.Space = StateSpace.Shared; continue;
                case "local": ins.Space = StateSpace.Local; continue;
                case "param": ins.Space = StateSpace.Param; continue;
                case "const": ins.Space = StateSpace.Const; continue;
                case "to": ins.ToSpace = true; continue;
                case "rn": ins.Round = Rounding.Rn; continue;
                case "rz": ins.Round = Rounding.Rz; continue;
                case "rm": ins.Round = Rounding.Rm; continue;
                case "rp": ins.Round = Rounding.Rp; continue;
                case "rna": ins.Round = Rounding.Rna; continue;
                case "rni": ins.Round = Rounding.Rni; continue;
                case "rzi": ins.Round = Rounding.Rzi; continue;
                case "rmi": ins.Round = Rounding.Rmi; continue;
                case "rpi": ins.Round = Rounding.Rpi; continue;
                case "ftz": ins.Ftz = true; continue;
                case "sat": ins.Sat = true; continue;
                case "relu": ins.Relu = true; continue;
                case "approx" or "full": ins.Approx = true; continue;
                case "v2": ins.Width = 2; continue;
                case "v4": ins.Width = 4; continue;
                case "x1": ins.Width = 1; continue;
                case "x2": ins.Width = 2; continue;
                case "x4": ins.Width = 4; continue;
                case "trans": ins.Transpose = true; continue;
                case "m16n8k8": ins.Shape = MmaShape.M16N8K8; continue;
                case "m16n8k16": ins.Shape = MmaShape.M16N8K16; continue;
                case "m8n8" when ins.Op == Opcode.Ldmatrix: continue;
                case "warp" when ins.Op == Opcode.BarWarpSync: continue;
                case "l" when ins.Op == Opcode.Shf: ins.FunnelLeft = true; continue;
                case "r" when ins.Op == Opcode.Shf: continue;
                case "clamp" when ins.Op == Opcode.Shf: ins.FunnelClamp = true; continue;
                case "wrap" when ins.Op == Opcode.Shf: continue;
                case "shiftamt" when ins.Op == Opcode.Bfind: ins.ShiftAmount = true; continue;
                case "row" when ins.Op == Opcode.Mma && k + 1 < parts.Length && parts[k + 1] == "col": k++; continue;
                // Ordering, scope, cache and convergence hints: no effect on a sequential interpreter.
                case "sync" or "aligned" or "nc" or "uni" or "relaxed" or "acquire" or "release" or "acq_rel" or "sc"
                    or "gpu" or "sys" or "cta" or "volatile" or "ca" or "cg" or "cs" or "lu" or "cv" or "wb" or "wt":
                    continue;
            }
            throw new PtxParseException(line, $"unsupported modifier '.{m}' in '{text}'");
        }

        if (ins.Op is Opcode.Cvt)
        {
            if (types.Count != 2) throw new PtxParseException(line, $"cvt needs a destination and a source type: '{text}'");
            ins.Type = types[0];
            ins.SourceType = types[1];
        }
        else if (ins.Op is Opcode.Mma)
        {
            if (types.Count != 4 || types[0] != PtxType.F32 || types[3] != PtxType.F32 || types[1] != types[2])
                throw Unsupported(line, text);
            ins.Type = PtxType.F32;
            ins.SourceType = types[1];
            bool ok = (ins.Shape == MmaShape.M16N8K8 && ins.SourceType == PtxType.TF32)
                      || (ins.Shape == MmaShape.M16N8K16 && ins.SourceType is PtxType.BF16 or PtxType.F16);
            if (!ok) throw Unsupported(line, text);
        }
        else if (ins.Op is Opcode.Slct)
        {
            if (types.Count != 2) throw new PtxParseException(line, $"slct needs two types: '{text}'");
            ins.Type = types[0];
            ins.SourceType = types[1];
        }
        else if (types.Count == 1) ins.Type = types[0];
        else if (types.Count > 1) throw new PtxParseException(line, $"too many types in '{text}'");

        CheckSupported(ins, line, text);
        return ins;
    }

    /// <summary>Rejects type/modifier combinations the interpreter does not implement.</summary>
    static void CheckSupported(Instruction ins, int line, string text)
    {
        bool ok = ins.Op switch
        {
            Opcode.Mad or Opcode.Fma when ins.Type == PtxType.F64 && ins.Round is not (Rounding.None or Rounding.Rn) => false,
            Opcode.Add or Opcode.Sub or Opcode.Mul or Opcode.Fma or Opcode.Min or Opcode.Max or Opcode.Abs or Opcode.Neg
                when ins.Type is PtxType.F16 or PtxType.F16x2 or PtxType.BF16 or PtxType.BF16x2 =>
                ins.Round is Rounding.None or Rounding.Rn,
            Opcode.Add or Opcode.Sub or Opcode.Mul or Opcode.Mad or Opcode.Fma or Opcode.Min or Opcode.Max or Opcode.Abs or Opcode.Neg =>
                ins.Type is not (PtxType.F16 or PtxType.F16x2 or PtxType.BF16 or PtxType.BF16x2 or PtxType.TF32 or PtxType.None or PtxType.Pred) && !ins.Relu,
            Opcode.Div => !ins.Type.IsFloat() || ins.Type is PtxType.F32 or PtxType.F64 && (ins.Approx || ins.Round is Rounding.Rn),
            Opcode.Sqrt => ins.Type is PtxType.F32 or PtxType.F64 && (ins.Approx || ins.Round is Rounding.Rn),
            Opcode.Rem => !ins.Type.IsFloat(),
            Opcode.Copysign => ins.Type is PtxType.F32 or PtxType.F64,
            Opcode.Rcp => ins.Type is PtxType.F32 or PtxType.F64 && (ins.Approx || ins.Round is Rounding.Rn),
            Opcode.Rsqrt or Opcode.Ex2 or Opcode.Lg2 or Opcode.Sin or Opcode.Cos or Opcode.Tanh => ins.Approx && ins.Type is PtxType.F32 or PtxType.F64,
            Opcode.Ld or Opcode.St => ins.Type != PtxType.None && ins.Type != PtxType.B128,
            Opcode.Atom or Opcode.Red => ins.Type is PtxType.B32 or PtxType.B64 or PtxType.U32 or PtxType.U64 or PtxType.S32 or PtxType.S64 or PtxType.F32 or PtxType.F64,
            Opcode.Shfl or Opcode.Shf => ins.Type == PtxType.B32,
            Opcode.Setp or Opcode.Slct => ins.Type is not (PtxType.F16x2 or PtxType.BF16x2 or PtxType.TF32),
            Opcode.Redux => ins.Atomic is AtomicOp.Add or AtomicOp.Min or AtomicOp.Max ? ins.Type is PtxType.U32 or PtxType.S32
                : ins.Atomic is AtomicOp.And or AtomicOp.Or or AtomicOp.Xor && ins.Type == PtxType.B32,
            Opcode.BarRed => ins.Atomic == AtomicOp.Add ? ins.Type == PtxType.U32 : ins.Type == PtxType.Pred,
            Opcode.Ldmatrix => ins.Type == PtxType.B16 && ins.Space == StateSpace.Shared,
            Opcode.CpAsync => ins.Space == StateSpace.Shared,
            _ => true,
        };
        if (!ok) throw Unsupported(line, text);
    }

    /// <summary>The type an operand position reads (so an immediate there gets the right bits).</summary>
    public static PtxType OperandType(Instruction ins, int index) => ins.Op switch
    {
        _ when IsHopper(ins.Op) => HopperOperandType(ins, index),
        Opcode.Cvt when index >= 1 => ins.SourceType,
        Opcode.Slct when index == 3 => ins.SourceType,
        Opcode.Setp or Opcode.Selp when index == 3 => PtxType.Pred,
        Opcode.Shl or Opcode.Shr when index == 2 => PtxType.U32,
        Opcode.Shf when index == 3 => PtxType.U32,
        Opcode.Bfe when index >= 2 => PtxType.U32,
        Opcode.Bfi when index >= 3 => PtxType.U32,
        Opcode.BarRed when index is 1 or 2 => PtxType.U32,
        Opcode.Shfl or Opcode.Vote or Opcode.BarSync or Opcode.BarWarpSync or Opcode.CpAsync or Opcode.CpAsyncWaitGroup => PtxType.U32,
        _ => ins.Type,
    };

    /// <summary>Checks operand counts and kinds, so the interpreter can index operands without checks.</summary>
    public static void Validate(Instruction ins)
    {
        int n = ins.Operands.Length;
        (int min, int max) = ins.Op switch
        {
            Opcode.Ret or Opcode.Exit or Opcode.Fence or Opcode.CpAsyncCommitGroup or Opcode.CpAsyncWaitAll => (0, 0),
            Opcode.Bra or Opcode.CpAsyncWaitGroup or Opcode.Activemask => (1, 1),
            Opcode.BarSync => (0, 2),
            Opcode.BarRed => (3, 4),
            Opcode.Redux => (3, 3),
            Opcode.BarWarpSync => (1, 1),
            Opcode.Mov or Opcode.Cvta or Opcode.Abs or Opcode.Neg or Opcode.Not or Opcode.Cnot or Opcode.Popc or Opcode.Clz or Opcode.Brev
                or Opcode.Bfind or Opcode.Rcp or Opcode.Sqrt or Opcode.Rsqrt or Opcode.Ex2 or Opcode.Lg2 or Opcode.Sin or Opcode.Cos or Opcode.Tanh
                or Opcode.Ld or Opcode.St or Opcode.Red => (2, 2),
            Opcode.Add or Opcode.Sub or Opcode.Mul or Opcode.Div or Opcode.Rem or Opcode.Min or Opcode.Max or Opcode.Copysign
                or Opcode.And or Opcode.Or or Opcode.Xor or Opcode.Shl or Opcode.Shr => (3, 3),
            Opcode.Cvt => ins.Type is PtxType.F16x2 or PtxType.BF16x2 ? (3, 3) : (2, 2), // the x2 forms pack two sources
            Opcode.Setp => (3, 4),
            Opcode.Atom => (3, 4),
            Opcode.Mad or Opcode.Fma or Opcode.Selp or Opcode.Slct or Opcode.Bfe or Opcode.Prmt or Opcode.Shf or Opcode.Sad => (4, 4),
            Opcode.Bfi => (5, 5),
            Opcode.Shfl => (5, 5),
            Opcode.Vote => (3, 3),
            Opcode.Mma => (4, 4),
            Opcode.Ldmatrix => (2, 2),
            Opcode.CpAsync => (3, 4),
            _ => (0, 8),
        };
        if (IsHopper(ins.Op)) (min, max) = HopperOperandShape(ins);
        if (n < min || n > max)
            throw new PtxParseException(ins.Line, $"'{ins.Text}' has {n} operands, expected {(min == max ? min.ToString() : $"{min} to {max}")}");

        if (ins.Op is Opcode.Ld or Opcode.Atom or Opcode.Ldmatrix && ins.Operands[1].Kind != OperandKind.Address
            || ins.Op is Opcode.St or Opcode.Red or Opcode.CpAsync && ins.Operands[0].Kind != OperandKind.Address
            || ins.Op is Opcode.CpAsync && ins.Operands[1].Kind != OperandKind.Address)
            throw new PtxParseException(ins.Line, $"'{ins.Text}' needs an address operand [..]");

        int vector = ins.Op switch
        {
            Opcode.Ld => ins.Width > 1 ? ins.Width : 0,
            Opcode.St => ins.Width > 1 ? ins.Width : 0,
            Opcode.Ldmatrix => ins.Width,
            _ => 0,
        };
        if (vector > 0)
        {
            var v = ins.Op == Opcode.St ? ins.Operands[1] : ins.Operands[0];
            if (v.Kind != OperandKind.Vector || v.Elements!.Length != vector)
                throw new PtxParseException(ins.Line, $"'{ins.Text}' needs a {{...}} operand of {vector} registers");
        }
        if (ins.Op == Opcode.Mma)
        {
            int aCount = 4, bCount = 2;
            if (VectorLength(ins.Operands[0]) != 4 || VectorLength(ins.Operands[1]) != aCount || VectorLength(ins.Operands[2]) != bCount || VectorLength(ins.Operands[3]) != 4)
                throw new PtxParseException(ins.Line, $"'{ins.Text}' needs {{4}}, {{{aCount}}}, {{{bCount}}}, {{4}} register operands");
        }
        foreach (var op in ins.Operands)
            if (op.Kind == OperandKind.Vector && op.Elements!.Any(e => e.Kind is not (OperandKind.Register or OperandKind.Sink or OperandKind.Immediate)))
                throw new PtxParseException(ins.Line, $"'{ins.Text}': vector elements must be registers or constants");
    }

    static int VectorLength(Operand op) => op.Kind == OperandKind.Vector ? op.Elements!.Length : -1;

    static bool TryCompare(string m, out CompareOp cmp)
    {
        CompareOp? c = m switch
        {
            "eq" => CompareOp.Eq, "ne" => CompareOp.Ne, "lt" => CompareOp.Lt, "le" => CompareOp.Le, "gt" => CompareOp.Gt, "ge" => CompareOp.Ge,
            "lo" => CompareOp.Lo, "ls" => CompareOp.Ls, "hi" => CompareOp.Hi, "hs" => CompareOp.Hs,
            "equ" => CompareOp.Equ, "neu" => CompareOp.Neu, "ltu" => CompareOp.Ltu, "leu" => CompareOp.Leu, "gtu" => CompareOp.Gtu, "geu" => CompareOp.Geu,
            "num" => CompareOp.Num, "nan" => CompareOp.Nan,
            _ => null,
        };
        cmp = c.GetValueOrDefault();
        return c.HasValue;
    }

    static bool TryAtomic(string m, out AtomicOp op)
    {
        AtomicOp? a = m switch
        {
            "add" => AtomicOp.Add, "min" => AtomicOp.Min, "max" => AtomicOp.Max, "exch" => AtomicOp.Exch, "cas" => AtomicOp.Cas,
            "inc" => AtomicOp.Inc, "dec" => AtomicOp.Dec, "and" => AtomicOp.And, "or" => AtomicOp.Or, "xor" => AtomicOp.Xor,
            _ => null,
        };
        op = a.GetValueOrDefault();
        return a.HasValue;
    }

    static PtxParseException Unsupported(int line, string text) => new(line, $"unsupported instruction '{text}'");
}
