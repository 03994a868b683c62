using System.CommandLine;
using CudaBert.Cli.Commands.Bench;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cuda;
using CudaBert.Kernels.Driver;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert bench kernels|train</c>: GPU benchmarks at BERT-base shapes. They need a real GPU:
/// without one they say why and exit with code 3 (the software GPU is an interpreter: its timings
/// would mean nothing).
/// </summary>
public static class BenchCommand
{
    const int NoGpu = 3;

    /// <summary>The <c>bench</c> command with its subcommands <c>kernels</c> and <c>train</c>, options and handlers, to add to the root command.</summary>
    public static Command Create()
    {
        var command = new Command("bench", "GPU benchmarks: every kernel at BERT-base shapes, and a BERT-base multi-task training step.");
        command.Subcommands.Add(CreateKernels());
        command.Subcommands.Add(CreateTrain());
        return command;
    }

    static Command CreateKernels()
    {
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs of each kernel first.", DefaultValueFactory = _ => 5 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each kernel (the median is reported).", DefaultValueFactory = _ => 51 };
        var command = new Command("kernels", "Each kernel at BERT-base shapes (B=32, S=128): GB/s vs a device copy, TFLOP/s vs cuBLAS.") { warmup, repeats };
        command.SetAction(parse =>
        {
            if (!CudaDevices.TryOpenDriver(out var gpu, out string reason)) return NoDevice(reason);
            using (gpu)
            {
                Console.WriteLine($"cudabert bench kernels on {reason}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
                bool hasBlas = Cublas.TryCreate(gpu, out var blas, out string blasReason);
                Console.WriteLine(hasBlas ? $"cuBLAS: {blasReason}" : $"cuBLAS: {blasReason} (GEMM ratios left out)");
                using (blas)
                using (var timer = new EventTimer(gpu, parse.GetValue(warmup), parse.GetValue(repeats)))
                using (var benchmarks = new KernelBenchmarks(gpu, blas, timer))
                    PrintTable(benchmarks.Run(Console.Out), timer);
            }
            return 0;
        });
        return command;
    }

    static Command CreateTrain()
    {
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 32 };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence (padded).", DefaultValueFactory = _ => 128 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first (they fill the allocator's cache).", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median is reported).", DefaultValueFactory = _ => 20 };
        var tf32 = new Option<bool>("--tf32")
            { Description = "GEMMs on the TF32 tensor-core kernel (as PyTorch with allow_tf32); false: the fp32 SIMT kernel. --precision, when given, decides instead.", DefaultValueFactory = _ => true };
        var precisionOption = TrainCommand.PrecisionOption();
        var checkpointing = TrainCommand.GradientCheckpointingOption();
        var command = new Command("train", "A BERT-base multi-task training step (random init) on the CUDA backend: step time, sequences/s, peak memory.")
            { batch, seq, warmup, steps, tf32, precisionOption, checkpointing };
        var cudaGraphs = TrainCommand.CudaGraphsOption();
        command.Options.Add(cudaGraphs);
        command.SetAction(parse =>
        {
            if (!CudaDevices.TryOpenDriver(out var gpu, out string reason)) return NoDevice(reason);
            Console.WriteLine($"cudabert bench train on {reason}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            var backend = CudaBackend.Use(new KernelTimingDevice(gpu));
            var chosen = parse.GetValue(precisionOption) is { } name && MatmulPrecisionMode.TryParse(name, out var given) ? given
                : parse.GetValue(tf32) ? MatmulPrecision.Tf32 : MatmulPrecision.Fp32;
            using var precision = MatmulPrecisionMode.Use(chosen);
            string gemms = chosen switch { MatmulPrecision.Tf32 => "TF32", MatmulPrecision.Bf16 => "bf16 (fp32 accumulation)", _ => "fp32 SIMT" };
            int b = parse.GetValue(batch), s = parse.GetValue(seq);
            var result = TrainBenchmark.Run(backend, b, s, parse.GetValue(warmup), parse.GetValue(steps), Console.Out,
                cudaGraphs: parse.GetValue(cudaGraphs) ?? CudaGraphSteps.Auto, gradientCheckpointing: parse.GetValue(checkpointing) ?? false);
            Console.WriteLine($"steps: {result.Mode}");
            if (result.KernelMilliseconds is double busy)
                Console.WriteLine($"GPU busy in kernels: {busy:F1} ms per step (one eager step, each kernel timed by events); " +
                                  $"idle while the host works: {100 * Math.Max(0, 1 - busy / result.StepMilliseconds):F1} % of the {result.StepMilliseconds:F1} ms step");
            string recompute = parse.GetValue(checkpointing) == true ? ", gradient checkpointing" : "";
            Console.WriteLine($"BERT-base multi-task step, B={b}, S={s}, GEMMs {gemms}{recompute}: {result.StepMilliseconds:F1} ms (median of {parse.GetValue(steps)}), " +
                              $"{result.SequencesPerSecond:F1} sequences/s");
            Console.WriteLine($"peak device memory in use: {result.PeakBytesInUse / (1 << 20):N0} MiB; held by the allocator: {result.BytesHeld / (1 << 20):N0} MiB; " +
                              $"cuMemAlloc calls while timed: {result.DeviceAllocationsWhileTimed}");
            // One machine-readable line for scripts/gpu-session.sh.
            string kernelTime = result.KernelMilliseconds is double k ? FormattableString.Invariant($" kernel_ms={k:F3}") : "";
            Console.WriteLine(FormattableString.Invariant(
                $"RESULT impl=cudabert-{chosen.Name()}{(result.Mode.StartsWith("CUDA graphs") ? "-graphs" : "")}{(recompute.Length > 0 ? "-checkpointing" : "")} step_ms={result.StepMilliseconds:F3} seqs_per_s={result.SequencesPerSecond:F2} peak_mib={result.PeakBytesInUse / (1 << 20)}{kernelTime}"));
            return 0;
        });
        return command;
    }

    static int NoDevice(string reason)
    {
        Console.Error.WriteLine($"cudabert bench needs a real GPU: {reason}");
        return NoGpu;
    }

    static void PrintTable(List<KernelBenchmarks.Row> rows, EventTimer timer)
    {
        Console.WriteLine($"median of {timer.Repeats} runs after {timer.Warmup} warm-up runs, L2 flushed before each; CUDA events");
        Console.WriteLine($"| {"kernel",-36} | {"shape",-34} | {"ms",9} | {"GB/s",7} | {"× copy",6} | {"TFLOP/s",7} | {"× SGEMM",7} | {"× TF32",6} | {"× BF16",6} |");
        Console.WriteLine($"|{new string('-', 38)}|{new string('-', 36)}|{new string('-', 11)}|{new string('-', 9)}|{new string('-', 8)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 8)}|{new string('-', 8)}|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Kernel,-36} | {r.Shape,-34} | {r.Milliseconds,9:F4} | {Cell(r.GigabytesPerSecond, "F0"),7} | {Cell(r.CopyRatio, "F2"),6} | " +
                              $"{Cell(r.Teraflops, "F1"),7} | {Cell(r.SgemmRatio, "F2"),7} | {Cell(r.Tf32Ratio, "F2"),6} | {Cell(r.Bf16Ratio, "F2"),6} |");
    }

    static string Cell(double? value, string format) => value is { } v ? v.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "";
}
