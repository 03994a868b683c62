using System.Globalization;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Parses the PTX that NVRTC emits into <see cref="PtxModule"/>: directives, parameters, register
/// declarations (<c>%r&lt;12&gt;</c>), shared/local/const/global variables, labels, guards and
/// instructions. Everything is resolved here (registers to slots, labels to indices, symbols to
/// addresses, immediates to bits) so the interpreter never looks anything up by name.
/// Unsupported constructs throw <see cref="PtxParseException"/> naming the line.
/// </summary>
public sealed class PtxParser
{
    readonly List<PtxToken> _tokens;
    int _pos;
    readonly Func<ModuleVariable, ulong>? _placeVariable;

    // Module scope.
    readonly Dictionary<string, (StateSpace Space, ulong Address)> _moduleSymbols = [];
    int _moduleSharedBytes;
    /// <summary>Names of <c>.extern .shared</c> arrays: all of them alias the launch's dynamic shared memory.</summary>
    readonly HashSet<string> _dynamicSharedNames = [];
    int _dynamicSharedAlign = 16;

    PtxParser(string text, Func<ModuleVariable, ulong>? placeVariable)
    {
        _tokens = PtxLexer.Tokenize(text);
        _placeVariable = placeVariable;
    }

    /// <summary>Parses a module. <paramref name="placeVariable"/> gives device addresses to module-scope .global/.const variables.</summary>
    public static PtxModule Parse(string moduleName, string text, Func<ModuleVariable, ulong>? placeVariable = null) =>
        new PtxParser(text, placeVariable).ParseModule(moduleName);

    PtxModule ParseModule(string moduleName)
    {
        string version = "", target = "";
        var kernels = new List<PtxKernel>();
        while (!AtEnd)
        {
            var tok = Peek;
            switch (tok.Text)
            {
                case ".version": Next(); version = Next().Text; break;
                case ".target":
                    Next(); target = Next().Text;
                    while (Peek.Is(",")) { Next(); target += "," + Next().Text; }
                    break;
                case ".address_size":
                    Next();
                    if (Next().Text != "64") throw new PtxParseException(tok.Line, "only .address_size 64 is supported");
                    break;
                case ".visible" or ".extern" or ".weak" or ".common" or ".entry" or ".func" or ".global" or ".const" or ".shared":
                    bool isExtern = false;
                    while (Peek.Text is ".visible" or ".extern" or ".weak" or ".common")
                        isExtern |= Next().Text == ".extern";
                    var what = Peek;
                    if (what.Is(".entry")) kernels.Add(ParseEntry());
                    else if (what.Is(".func")) throw new PtxParseException(what.Line, "unsupported: .func (device-function calls); kernels must be fully inlined");
                    else ParseModuleVariable(isExtern);
                    break;
                default:
                    throw new PtxParseException(tok.Line, $"unexpected '{tok.Text}' at module scope");
            }
        }
        return new PtxModule { Name = moduleName, Version = version, Target = target, Kernels = kernels };
    }

    // ---------------------------------------------------------------- declarations

    /// <summary>A parsed <c>.space [.align N] [.vN] .type name[dims] [= init];</c>.</summary>
    sealed record VariableDecl(StateSpace Space, int Alignment, PtxType Type, string Name, int Size, bool Unsized, byte[] Initializer, int Line);

    VariableDecl ParseVariable()
    {
        var spaceTok = Next();
        var space = spaceTok.Text switch
        {
            ".shared" => StateSpace.Shared, ".global" => StateSpace.Global, ".const" => StateSpace.Const,
            ".local" => StateSpace.Local, ".param" => StateSpace.Param,
            _ => throw new PtxParseException(spaceTok.Line, $"expected a state space, found '{spaceTok.Text}'"),
        };
        int align = 0, vector = 1;
        if (Peek.Is(".align")) { Next(); align = ParseInt(Next()); }
        if (Peek.Text is ".v2" or ".v4") vector = Next().Text == ".v2" ? 2 : 4;
        var typeTok = Next();
        var type = PtxTypes.Parse(typeTok.Text.TrimStart('.'));
        if (type == PtxType.None) throw new PtxParseException(typeTok.Line, $"expected a type, found '{typeTok.Text}'");
        var name = Next().Text;
        long count = 1;
        bool unsized = false;
        while (Peek.Is("["))
        {
            Next();
            if (Peek.Is("]")) unsized = true;
            else count *= ParseInt(Next());
            Expect("]");
        }
        int elementBytes = type.Bytes() * vector;
        int size = checked((int)(count * elementBytes));
        var init = new byte[unsized ? 0 : size];
        if (Peek.Is("="))
        {
            Next();
            var values = new List<PtxToken>();
            if (Peek.Is("{"))
            {
                Next();
                while (!Peek.Is("}")) { var v = Next(); if (!v.Is(",")) values.Add(v); }
                Next();
            }
            else values.Add(Next());
            for (int k = 0; k < values.Count && (k + 1) * type.Bytes() <= init.Length; k++)
            {
                var (bits, kind) = ParseLiteral(values[k]);
                ulong converted = ConvertLiteral(bits, kind, type, values[k].Line);
                for (int b = 0; b < type.Bytes(); b++) init[k * type.Bytes() + b] = (byte)(converted >> (8 * b));
            }
        }
        Expect(";");
        return new VariableDecl(space, align == 0 ? elementBytes : align, type, name, size, unsized, init, spaceTok.Line);
    }

    void ParseModuleVariable(bool isExtern)
    {
        var decl = ParseVariable();
        switch (decl.Space)
        {
            case StateSpace.Shared when isExtern || decl.Unsized:
                _dynamicSharedNames.Add(decl.Name);
                _dynamicSharedAlign = Math.Max(_dynamicSharedAlign, decl.Alignment);
                break;
            case StateSpace.Shared:
                _moduleSharedBytes = Align(_moduleSharedBytes, decl.Alignment);
                _moduleSymbols[decl.Name] = (StateSpace.Shared, (ulong)_moduleSharedBytes);
                _moduleSharedBytes += decl.Size;
                break;
            case StateSpace.Global or StateSpace.Const:
                if (_placeVariable is null) throw new PtxParseException(decl.Line, $"module variable '{decl.Name}' needs device memory, but no device was given");
                ulong address = _placeVariable(new ModuleVariable(decl.Name, decl.Space, decl.Size, decl.Alignment, decl.Initializer));
                _moduleSymbols[decl.Name] = (StateSpace.Global, address);
                break;
            default:
                throw new PtxParseException(decl.Line, $"unsupported module-scope declaration of '{decl.Name}'");
        }
    }

    // ---------------------------------------------------------------- kernels

    /// <summary>State while one kernel body is parsed.</summary>
    sealed class KernelScope
    {
        public readonly List<Dictionary<string, int>> Registers = [[]];
        public readonly List<PtxType> RegisterTypes = [];
        public readonly Dictionary<string, (StateSpace Space, ulong Address)> Symbols = [];
        public readonly Dictionary<string, int> Labels = [];
        public readonly List<(Instruction Ins, int Operand, string Label, int Line)> LabelFixups = [];
        public readonly List<Instruction> Code = [];
        public int SharedBytes, LocalBytes;
        public bool DynamicSharedUsed;
    }

    PtxKernel ParseEntry()
    {
        Expect(".entry");
        var name = Next().Text;
        var scope = new KernelScope { SharedBytes = _moduleSharedBytes };
        foreach (var (sym, place) in _moduleSymbols) scope.Symbols[sym] = place;

        var parameters = new List<KernelParameter>();
        int paramBytes = 0;
        Expect("(");
        while (!Peek.Is(")"))
        {
            if (Peek.Is(",")) { Next(); continue; }
            var decl = ParseParameter();
            paramBytes = Align(paramBytes, decl.Alignment);
            parameters.Add(new KernelParameter(decl.Name, decl.Type, paramBytes, decl.Size));
            scope.Symbols[decl.Name] = (StateSpace.Param, (ulong)paramBytes);
            paramBytes += decl.Size;
        }
        Expect(")");
        while (!Peek.Is("{")) Next(); // performance directives (.maxntid, .reqntid, .minnctapersm...) do not change semantics
        Expect("{");
        ParseBody(scope);

        foreach (var (ins, operand, label, line) in scope.LabelFixups)
        {
            if (!scope.Labels.TryGetValue(label, out int target)) throw new PtxParseException(line, $"unknown label '{label}'");
            ins.Operands[operand] = new Operand(OperandKind.Label, Value: (ulong)target);
        }
        // A kernel always ends: falling off the end behaves as ret.
        scope.Code.Add(new Instruction { Op = Opcode.Exit, Line = _tokens.Count > 0 ? _tokens[Math.Min(_pos, _tokens.Count) - 1].Line : 0, Text = "(end of kernel)" });

        int dynamicOffset = Align(scope.SharedBytes, _dynamicSharedAlign);
        return new PtxKernel
        {
            Name = name,
            Parameters = parameters,
            ParameterBytes = paramBytes,
            RegisterCount = scope.RegisterTypes.Count,
            StaticSharedBytes = scope.SharedBytes,
            DynamicSharedOffset = dynamicOffset,
            LocalBytes = scope.LocalBytes,
            Code = [.. scope.Code],
            UsesAtomics = scope.Code.Any(i => i.Op is Opcode.Atom or Opcode.Red),
        };
    }

    /// <summary>A parameter: the variable syntax, ending at ',' or ')' instead of ';'.</summary>
    VariableDecl ParseParameter()
    {
        var start = Next();
        if (!start.Is(".param")) throw new PtxParseException(start.Line, $"expected .param, found '{start.Text}'");
        int align = 0;
        if (Peek.Is(".align")) { Next(); align = ParseInt(Next()); }
        var typeTok = Next();
        var type = PtxTypes.Parse(typeTok.Text.TrimStart('.'));
        if (type == PtxType.None) throw new PtxParseException(typeTok.Line, $"expected a parameter type, found '{typeTok.Text}'");
        if (Peek.Is(".ptr"))
        {
            // ".ptr .global .align 8" only annotates what the pointer points to.
            Next();
            while (Peek.Text is ".global" or ".shared" or ".const" or ".local") Next();
            if (Peek.Is(".align")) { Next(); Next(); }
        }
        var name = Next().Text;
        long count = 1;
        while (Peek.Is("[")) { Next(); count *= ParseInt(Next()); Expect("]"); }
        int size = checked((int)(count * type.Bytes()));
        return new VariableDecl(StateSpace.Param, align == 0 ? type.Bytes() : align, type, name, size, false, [], start.Line);
    }

    void ParseBody(KernelScope scope)
    {
        int depth = 1;
        while (true)
        {
            var tok = Peek;
            if (tok.Is("}"))
            {
                Next();
                if (--depth == 0) return;
                scope.Registers.RemoveAt(scope.Registers.Count - 1);
                continue;
            }
            if (tok.Is("{")) { Next(); depth++; scope.Registers.Add([]); continue; }
            if (AtEnd) throw new PtxParseException(tok.Line, "unexpected end of PTX inside a kernel body");

            switch (tok.Text)
            {
                case ".reg": ParseRegisterDeclaration(scope); continue;
                case ".shared" or ".local":
                {
                    var decl = ParseVariable();
                    if (decl.Space == StateSpace.Shared)
                    {
                        if (scope.DynamicSharedUsed) throw new PtxParseException(decl.Line, "a .shared declaration after the first use of dynamic shared memory is not supported");
                        scope.SharedBytes = Align(scope.SharedBytes, decl.Alignment);
                        scope.Symbols[decl.Name] = (StateSpace.Shared, (ulong)scope.SharedBytes);
                        scope.SharedBytes += decl.Size;
                    }
                    else
                    {
                        scope.LocalBytes = Align(scope.LocalBytes, decl.Alignment);
                        scope.Symbols[decl.Name] = (StateSpace.Local, (ulong)scope.LocalBytes);
                        scope.LocalBytes += decl.Size;
                    }
                    continue;
                }
                case ".pragma": while (!Next().Is(";")) { } continue;
                case ".loc" or ".file":
                    // Debug line directives have no semicolon: they end with the line.
                    Next();
                    while (!AtEnd && Peek.Line == tok.Line) Next();
                    continue;
            }
            if (!tok.IsPunctuation && _pos + 1 < _tokens.Count && _tokens[_pos + 1].Is(":"))
            {
                Next(); Next();
                scope.Labels[tok.Text] = scope.Code.Count;
                continue;
            }
            scope.Code.Add(ParseInstruction(scope));
        }
    }

    void ParseRegisterDeclaration(KernelScope scope)
    {
        var line = Next().Line; // .reg
        if (Peek.Text is ".v2" or ".v4") throw new PtxParseException(line, "vector registers are not supported");
        var typeTok = Next();
        var type = PtxTypes.Parse(typeTok.Text.TrimStart('.'));
        if (type == PtxType.None) throw new PtxParseException(line, $"expected a register type, found '{typeTok.Text}'");
        var names = scope.Registers[^1];
        while (true)
        {
            var name = Next().Text;
            if (Peek.Is("<"))
            {
                Next();
                int count = ParseInt(Next());
                Expect(">");
                for (int k = 0; k < count; k++) { names[name + k.ToString(CultureInfo.InvariantCulture)] = scope.RegisterTypes.Count; scope.RegisterTypes.Add(type); }
            }
            else { names[name] = scope.RegisterTypes.Count; scope.RegisterTypes.Add(type); }
            if (Peek.Is(",")) { Next(); continue; }
            Expect(";");
            return;
        }
    }

    // ---------------------------------------------------------------- instructions

    Instruction ParseInstruction(KernelScope scope)
    {
        int startPos = _pos;
        int line = Peek.Line;
        int guard = -1;
        bool guardNegated = false;
        if (Peek.Is("@"))
        {
            Next();
            if (Peek.Is("!")) { Next(); guardNegated = true; }
            guard = ResolveRegister(scope, Next());
        }
        var opTok = Next();
        var ins = InstructionDecoder.DecodeOpcode(opTok.Text, line);
        ins.Guard = guard;
        ins.GuardNegated = guardNegated;
        ins.Line = line;

        var operands = new List<Operand>();
        while (!Peek.Is(";"))
        {
            if (operands.Count > 0) Expect(",");
            operands.Add(ParseOperand(scope, ins, operands.Count));
        }
        int endPos = _pos;
        Next(); // ;
        ins.Operands = [.. operands];
        ins.Text = Render(startPos, endPos);
        for (int k = 0; k < ins.Operands.Length; k++)
        {
            if (ins.Operands[k].Kind == OperandKind.Label) scope.LabelFixups.Add((ins, k, _pendingLabels[k], line));
        }
        _pendingLabels.Clear();
        InstructionDecoder.Validate(ins);
        return ins;
    }

    /// <summary>Label names of the instruction being parsed, by operand position (resolved after the whole body is read).</summary>
    readonly Dictionary<int, string> _pendingLabels = [];

    /// <summary>An instruction as text for reports: "@!%p1 st.shared.f32 [%rd1+4], {%f1, %f2}".</summary>
    string Render(int start, int end)
    {
        var sb = new System.Text.StringBuilder();
        int k = start;
        if (_tokens[k].Is("@"))
        {
            sb.Append(_tokens[k++].Text);
            if (_tokens[k].Is("!")) sb.Append(_tokens[k++].Text);
            sb.Append(_tokens[k++].Text).Append(' ');
        }
        sb.Append(_tokens[k++].Text); // opcode
        if (k < end) sb.Append(' ');
        for (; k < end; k++) sb.Append(_tokens[k].Is(",") ? ", " : _tokens[k].Text);
        return sb.ToString();
    }

    Operand ParseOperand(KernelScope scope, Instruction ins, int index)
    {
        var tok = Next();
        switch (tok.Text)
        {
            case "{":
            {
                var elements = new List<Operand>();
                while (!Peek.Is("}"))
                {
                    if (elements.Count > 0) Expect(",");
                    elements.Add(ParseOperand(scope, ins, index));
                }
                Next();
                return new Operand(OperandKind.Vector, Elements: [.. elements]);
            }
            case "[":
                return ParseAddress(scope, ins, index, tok.Line);
            case "_":
                if (!Peek.Is("|")) return new Operand(OperandKind.Sink);
                Next(); // "_|p": only the second destination is kept (elect.sync)
                return new Operand(OperandKind.Vector, Elements: [new Operand(OperandKind.Sink), ParseOperand(scope, ins, index)]);
            case "!":
            {
                var inner = ParseOperand(scope, ins, index);
                return inner with { Negated = true };
            }
            case "-":
            {
                var numTok = Next();
                var (bits, kind) = ParseLiteral(numTok);
                if (kind != LiteralKind.Integer) throw new PtxParseException(tok.Line, $"unexpected '-' before '{numTok.Text}'");
                return Operand.Imm(ConvertLiteral(unchecked(0 - bits), kind, InstructionDecoder.OperandType(ins, index), tok.Line));
            }
        }
        if (tok.IsPunctuation) throw new PtxParseException(tok.Line, $"unexpected '{tok.Text}' in operands");

        Operand result;
        if (char.IsAsciiDigit(tok.Text[0]))
        {
            var (bits, kind) = ParseLiteral(tok);
            result = Operand.Imm(ConvertLiteral(bits, kind, InstructionDecoder.OperandType(ins, index), tok.Line));
        }
        else if (TryResolveRegister(scope, tok.Text, out int reg)) result = Operand.Reg(reg);
        else if (TryParseSpecial(tok.Text, out var special)) result = new Operand(OperandKind.Special, Special: special);
        else if (ins.Op == Opcode.Bra)
        {
            _pendingLabels[index] = tok.Text;
            return new Operand(OperandKind.Label);
        }
        else if (TryResolveSymbol(scope, tok.Text, out var place))
        {
            ulong address = place.Address;
            if (Peek.Is("+")) { Next(); address += (ulong)ParseSignedOffset(); }
            result = Operand.Imm(address);
        }
        else throw new PtxParseException(tok.Line, $"unknown register or symbol '{tok.Text}'");

        if (Peek.Is("|"))
        {
            // "d|p": a second destination (setp's complement predicate, shfl's in-range predicate).
            Next();
            var second = ParseOperand(scope, ins, index);
            return new Operand(OperandKind.Vector, Elements: [result, second]);
        }
        return result;
    }

    /// <summary><c>[base+offset]</c>, or a tensor copy's <c>[map, {c0, c1, ...}]</c>: the address of a tensor map and the box's coordinates.</summary>
    Operand ParseAddress(KernelScope scope, Instruction ins, int index, int line)
    {
        int baseReg = -1;
        bool base32 = false;
        ulong offset = 0;
        var tok = Next();
        if (TryResolveRegister(scope, tok.Text, out int reg))
        {
            baseReg = reg;
            base32 = scope.RegisterTypes[reg].Bits() == 32;
        }
        else if (TryResolveSymbol(scope, tok.Text, out var place)) offset = place.Address;
        else if (char.IsAsciiDigit(tok.Text[0])) offset = ParseLiteral(tok).Bits;
        else throw new PtxParseException(line, $"unknown address base '{tok.Text}'");
        if (Peek.Is("+")) { Next(); offset += (ulong)ParseSignedOffset(); }
        else if (Peek.Is("-")) { Next(); offset -= ParseLiteral(Next()).Bits; }
        Operand[]? coordinates = null;
        if (Peek.Is(","))
        {
            Next();
            if (!Peek.Is("{")) throw new PtxParseException(line, $"expected '{{' and the coordinates after the tensor map's address, found '{Peek.Text}'");
            coordinates = ParseOperand(scope, ins, index).Elements;
        }
        Expect("]");
        return new Operand(OperandKind.Address, Register: baseReg, Value: offset, Elements: coordinates, Base32: base32);
    }

    long ParseSignedOffset()
    {
        bool negative = false;
        if (Peek.Is("-")) { Next(); negative = true; }
        long v = (long)ParseLiteral(Next()).Bits;
        return negative ? -v : v;
    }

    int ResolveRegister(KernelScope scope, PtxToken tok) =>
        TryResolveRegister(scope, tok.Text, out int reg) ? reg : throw new PtxParseException(tok.Line, $"unknown register '{tok.Text}'");

    static bool TryResolveRegister(KernelScope scope, string name, out int reg)
    {
        for (int s = scope.Registers.Count - 1; s >= 0; s--)
            if (scope.Registers[s].TryGetValue(name, out reg)) return true;
        reg = -1;
        return false;
    }

    bool TryResolveSymbol(KernelScope scope, string name, out (StateSpace Space, ulong Address) place)
    {
        if (scope.Symbols.TryGetValue(name, out place)) return true;
        if (_dynamicSharedNames.Contains(name))
        {
            scope.DynamicSharedUsed = true;
            place = (StateSpace.Shared, (ulong)Align(scope.SharedBytes, _dynamicSharedAlign));
            return true;
        }
        return false;
    }

    static bool TryParseSpecial(string name, out SpecialRegister special)
    {
        SpecialRegister? s = name switch
        {
            "%tid.x" => SpecialRegister.TidX, "%tid.y" => SpecialRegister.TidY, "%tid.z" => SpecialRegister.TidZ,
            "%ntid.x" => SpecialRegister.NtidX, "%ntid.y" => SpecialRegister.NtidY, "%ntid.z" => SpecialRegister.NtidZ,
            "%ctaid.x" => SpecialRegister.CtaidX, "%ctaid.y" => SpecialRegister.CtaidY, "%ctaid.z" => SpecialRegister.CtaidZ,
            "%nctaid.x" => SpecialRegister.NctaidX, "%nctaid.y" => SpecialRegister.NctaidY, "%nctaid.z" => SpecialRegister.NctaidZ,
            "%laneid" => SpecialRegister.LaneId, "%warpid" => SpecialRegister.WarpId, "%nwarpid" => SpecialRegister.NwarpId,
            "%smid" => SpecialRegister.SmId, "%nsmid" => SpecialRegister.NsmId, "%gridid" => SpecialRegister.GridId,
            "%lanemask_eq" => SpecialRegister.LanemaskEq, "%lanemask_lt" => SpecialRegister.LanemaskLt, "%lanemask_le" => SpecialRegister.LanemaskLe,
            "%lanemask_gt" => SpecialRegister.LanemaskGt, "%lanemask_ge" => SpecialRegister.LanemaskGe,
            "%clock" => SpecialRegister.Clock, "%clock64" => SpecialRegister.Clock64, "%globaltimer" => SpecialRegister.GlobalTimer,
            _ => null,
        };
        special = s.GetValueOrDefault();
        return s.HasValue;
    }

    // ---------------------------------------------------------------- literals

    enum LiteralKind { Integer, F32Bits, F64Bits, Decimal }

    static (ulong Bits, LiteralKind Kind) ParseLiteral(PtxToken tok)
    {
        var s = tok.Text;
        try
        {
            if (s.Length > 2 && s[0] == '0' && (s[1] is 'f' or 'F')) return (ulong.Parse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), LiteralKind.F32Bits);
            if (s.Length > 2 && s[0] == '0' && (s[1] is 'd' or 'D')) return (ulong.Parse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), LiteralKind.F64Bits);
            s = s.TrimEnd('U', 'u');
            if (s.Length > 2 && s[0] == '0' && (s[1] is 'x' or 'X')) return (ulong.Parse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), LiteralKind.Integer);
            if (s.Contains('.') || s.Contains('e') || s.Contains('E'))
                return (BitConverter.DoubleToUInt64Bits(double.Parse(s, CultureInfo.InvariantCulture)), LiteralKind.Decimal);
            return (ulong.Parse(s, CultureInfo.InvariantCulture), LiteralKind.Integer);
        }
        catch (FormatException)
        {
            throw new PtxParseException(tok.Line, $"malformed number '{tok.Text}'");
        }
        catch (OverflowException)
        {
            throw new PtxParseException(tok.Line, $"number out of range '{tok.Text}'");
        }
    }

    /// <summary>Gives a literal the bit pattern of the operand's type (an integer literal for an f32 operand means that value).</summary>
    static ulong ConvertLiteral(ulong bits, LiteralKind kind, PtxType type, int line)
    {
        double value = kind switch
        {
            LiteralKind.F32Bits => BitConverter.UInt32BitsToSingle((uint)bits),
            LiteralKind.F64Bits or LiteralKind.Decimal => BitConverter.UInt64BitsToDouble(bits),
            _ => (long)bits,
        };
        return type switch
        {
            PtxType.F32 when kind != LiteralKind.F32Bits => BitConverter.SingleToUInt32Bits((float)value),
            PtxType.F64 when kind != LiteralKind.F64Bits => BitConverter.DoubleToUInt64Bits(value),
            _ when kind == LiteralKind.Decimal => throw new PtxParseException(line, $"a decimal float literal needs a float operand, not .{type.ToString().ToLowerInvariant()}"),
            _ => bits,
        };
    }

    static int ParseInt(PtxToken tok) => checked((int)ParseLiteral(tok).Bits);

    static int Align(int offset, int alignment) => alignment <= 1 ? offset : (offset + alignment - 1) / alignment * alignment;

    // ---------------------------------------------------------------- token cursor

    bool AtEnd => _pos >= _tokens.Count;
    PtxToken Peek => _pos < _tokens.Count ? _tokens[_pos] : new PtxToken("<end>", _tokens.Count > 0 ? _tokens[^1].Line : 0, true);
    PtxToken Next()
    {
        if (AtEnd) throw new PtxParseException(Peek.Line, "unexpected end of the PTX text");
        return _tokens[_pos++];
    }
    void Expect(string s)
    {
        var t = Next();
        if (!t.Is(s)) throw new PtxParseException(t.Line, $"expected '{s}', found '{t.Text}'");
    }
}
