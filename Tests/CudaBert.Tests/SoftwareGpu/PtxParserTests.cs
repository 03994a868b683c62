using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.SoftwareGpu;

public class PtxParserTests
{
    [Fact]
    public void EveryEmbeddedModuleDecodes()
    {
        using var device = new SoftwareGpuDevice();
        foreach (var set in TestPtx.EverySet)
        foreach (var name in set.Names)
        {
            var module = PtxParser.Parse(name, set.Get(name), v => device.Allocate(Math.Max(1, v.Size)).Address);
            Assert.NotEmpty(module.Kernels);
            Assert.Equal("8.4", module.Version);   // NVRTC 12.4
        }
    }

    const string Sample = """
        .version 7.8
        .target sm_80
        .address_size 64

        .extern .shared .align 16 .b8 dynamic_smem[];

        .visible .entry sample(
        	.param .u64 sample_param_0,
        	.param .u32 sample_param_1,
        	.param .align 8 .b8 sample_param_2[16]
        )
        .maxntid 128, 1, 1
        {
        	.reg .pred 	%p<3>;
        	.reg .b32 	%r<12>;
        	.reg .f32 	%f<4>;
        	.reg .b64 	%rd<5>;
        	// demoted variables
        	.shared .align 4 .b8 _ZZ6sampleE4tile[100];
        	.shared .align 8 .b8 _ZZ6sampleE5other[8];

        	ld.param.u64 	%rd1, [sample_param_0];
        	ld.param.u32 	%r1, [sample_param_1];
        	ld.param.u32 	%r2, [sample_param_2+4];
        	mov.u32 	%r3, _ZZ6sampleE5other;
        	mov.u32 	%r4, dynamic_smem;
        	mov.f32 	%f1, 0f3F800000;
        $L__BB0_1:
        	setp.lt.s32 	%p1, %r1, -3;
        	@!%p1 bra 	$L__BB0_1;
        	st.shared.v2.f32 	[%r4+8], {%f1, %f1};
        	ret;
        }
        """;

    [Fact]
    public void ResolvesParametersSharedLayoutLabelsAndImmediates()
    {
        var module = PtxParser.Parse("sample", Sample);
        var k = Assert.Single(module.Kernels);
        Assert.Equal("sample", k.Name);
        // Parameter space: u64 at 0, u32 at 8, 16-byte struct aligned to 8 at 16.
        Assert.Equal([0, 8, 16], k.Parameters.Select(p => p.Offset));
        Assert.Equal(32, k.ParameterBytes);
        // Registers: 3 pred + 12 b32 + 4 f32 + 5 b64.
        Assert.Equal(24, k.RegisterCount);
        // Shared: tile [0,100), other aligned to 8 → [104,112), dynamic aligned to 16 → 112.
        Assert.Equal(112, k.StaticSharedBytes);
        Assert.Equal(112, k.DynamicSharedOffset);

        var code = k.Code;
        Assert.Equal((ulong)20, code[2].Operands[1].Value);                  // [sample_param_2+4]
        Assert.Equal((ulong)104, code[3].Operands[1].Value);                 // address of "other"
        Assert.Equal((ulong)112, code[4].Operands[1].Value);                 // dynamic shared
        Assert.Equal(0x3F800000UL, code[5].Operands[1].Value);               // 1.0f
        Assert.Equal(unchecked((ulong)-3L), code[6].Operands[2].Value);      // negative immediate
        Assert.Equal(Opcode.Bra, code[7].Op);
        Assert.True(code[7].GuardNegated);
        Assert.Equal(6UL, code[7].Operands[0].Value);                        // $L__BB0_1 → instruction 6
        Assert.Equal(2, code[8].Width);
        Assert.Equal(StateSpace.Shared, code[8].Space);
        Assert.True(code[8].Operands[0].Base32);
        Assert.Equal(31, code[8].Line);
    }

    [Fact]
    public void UnsupportedInstructionFailsAtLoadNamingInstructionAndLine()
    {
        var ptx = Ptx.Module("bad", ".param .u64 bad_param_0", """
            .reg .b32 %r<3>;
            mov.u32 %r1, 1;
            fns.b32 %r2, %r1, 0, 1;
            ret;
            """);
        using var device = new SoftwareGpuDevice();
        var e = Assert.Throws<CudaException>(() => device.LoadModule("bad", ptx));
        Assert.Equal("CUDA_ERROR_INVALID_PTX", e.ErrorName);
        Assert.Contains("line 11", e.Message);
        Assert.Contains("fns.b32", e.Message);
    }

    [Fact]
    public void UnknownRegisterNamesItAndItsLine()
    {
        var ptx = Ptx.Module("bad", ".param .u64 bad_param_0", """
            .reg .b32 %r<3>;
            mov.u32 %r7, 1;
            ret;
            """);
        var e = Assert.Throws<PtxParseException>(() => PtxParser.Parse("bad", ptx));
        Assert.Equal(10, e.Line);
        Assert.Contains("%r7", e.Message);
    }

    [Fact]
    public void TruncatedTextIsAnErrorNotAHang()
    {
        var e = Assert.Throws<PtxParseException>(() => PtxParser.Parse("cut", Sample[..Sample.IndexOf(".maxntid")]));
        Assert.Contains("unexpected end", e.Message);
    }

    [Fact]
    public void EveryExternSharedArrayAliasesTheDynamicSharedMemory()
    {
        var ptx = """
            .version 7.8
            .target sm_80
            .address_size 64
            .extern .shared .align 4 .b8 floats[];
            .extern .shared .align 16 .b8 vectors[];
            .visible .entry two(
            	.param .u64 two_param_0
            )
            {
            	.reg .b32 %r<3>;
            	.shared .align 4 .b8 fixed[20];
            	mov.u32 %r1, floats;
            	mov.u32 %r2, vectors;
            	ret;
            }
            """;
        var k = PtxParser.Parse("two", ptx).Kernels[0];
        Assert.Equal(32, k.DynamicSharedOffset); // after 20 static bytes, at the strictest alignment (16)
        Assert.Equal(32UL, k.Code[0].Operands[1].Value);
        Assert.Equal(32UL, k.Code[1].Operands[1].Value);
    }
}

