using System.CommandLine;
using System.Runtime.InteropServices;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert info</c>: the CUDA driver and GPU (or why there is none) and the embedded PTX modules.</summary>
public static class InfoCommand
{
    /// <summary>The <c>info</c> command and its handler, to add to the root command.</summary>
    public static Command Create()
    {
        var command = new Command("info", "Show the devices (CUDA driver, GPUs) and the embedded PTX kernels.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"cudabert on {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier}");
            PrintCuda();
            PrintModules();
            return 0;
        });
        return command;
    }

    static void PrintCuda()
    {
        if (!CudaDevices.TryOpenDriver(out var gpu, out string reason))
        {
            Console.WriteLine($"CUDA:    {reason} (the CPU backend is used)");
            return;
        }
        using (gpu)
        {
            Console.WriteLine($"CUDA:    {reason}");
            bool hasBlas = Cublas.TryCreate(gpu, out var blas, out string blasReason);
            blas?.Dispose();
            Console.WriteLine($"cuBLAS:  {(hasBlas ? blasReason : blasReason + " (only used by benchmarks)")}");
            Console.WriteLine($"GEMM:    {HopperGemmKernels.TensorCorePath(gpu.Info)}");
            Console.WriteLine($"bf16 GEMM: {HopperGemmBf16Kernels.TensorCorePath(gpu.Info)}");
            Console.WriteLine($"bf16 fused attention: {HopperFlashAttentionKernels.TensorCorePath(gpu.Info)}");
        }
    }

    static void PrintModules()
    {
        Console.WriteLine($"PTX modules embedded: {PtxModules.Names.Count}");
        foreach (var name in PtxModules.Names)
        {
            string ptx = PtxModules.Get(name);
            var isa = PtxIsaVersion.Parse(ptx, name);
            Console.WriteLine($"  {name,-40} PTX ISA {isa} (driver for CUDA {PtxIsaVersion.FormatCudaVersion(isa.MinimumDriverVersion)}+)  " +
                              string.Join(", ", PtxModules.KernelNames(ptx)));
        }
    }
}
