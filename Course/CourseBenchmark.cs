using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Course;

/// <summary>
/// Runs every step of every progression on one device and lists them in one table.
/// On a real GPU each step is timed with CUDA events (median of <see cref="Repeats"/> runs after
/// <see cref="Warmup"/>), rated in GFLOP/s (GEMM) or GB/s of the bytes the operation must move, and
/// compared with the backend's kernel of the same family ("× backend" = backend time / step time; the
/// tensor-core steps are compared with the backend's tensor-core kernel). On the software GPU timings
/// would measure the interpreter, so each step runs once and the table gives the PTX instructions it
/// executed (all threads together; "× backend" = backend instructions / step instructions) and the
/// sanitizer's verdict (bounds, races, barriers, uninitialized reads).
/// </summary>
public sealed class CourseBenchmark(ICudaDevice gpu, CourseSize size)
{
    public const int Warmup = 3, Repeats = 15;

    /// <summary>One row of the table. On the software GPU <see cref="Milliseconds"/> and <see cref="Rate"/> are null.</summary>
    public sealed record Row(string Family, string Shape, int Step, string Name, string Source, bool Backend,
        double? Milliseconds, double? Rate, string RateUnit, long? Instructions, string? Sanitizer, double? BackendRatio);

    bool IsSoftware => gpu is SoftwareGpuDevice;

    public List<Row> Run()
    {
        var rows = new List<Row>();
        var (m, n, k) = size.Gemm;
        using (var buffers = new DeviceBuffers(gpu))
        {
            var problem = new GemmProblem(m, n, k, 1f, buffers.Random((long)m * k), buffers.Random((long)k * n), 0f, buffers.Random((long)m * n));
            Family(rows, "GEMM", $"{m}×{k} · {k}×{n}", GemmCourse.Steps, problem, problem.Flops, "GFLOP/s");
        }
        var (softmaxRows, softmaxCols) = size.Softmax;
        using (var buffers = new DeviceBuffers(gpu))
        {
            var problem = new SoftmaxProblem(softmaxRows, softmaxCols, buffers.Random((long)softmaxRows * softmaxCols),
                buffers.Zeros((long)softmaxRows * softmaxCols * sizeof(float)));
            Family(rows, "softmax", $"[{softmaxRows}, {softmaxCols}]", SoftmaxCourse.Steps, problem, problem.Bytes, "GB/s");
        }
        var (normRows, normCols) = size.LayerNorm;
        using (var buffers = new DeviceBuffers(gpu))
        {
            var problem = new LayerNormProblem(normRows, normCols, 1e-12f, buffers.Random((long)normRows * normCols), buffers.Random(normCols),
                buffers.Random(normCols), buffers.Zeros((long)normRows * normCols * sizeof(float)), buffers.Zeros(normRows * sizeof(float)),
                buffers.Zeros(normRows * sizeof(float)));
            Family(rows, "layer norm", $"[{normRows}, {normCols}]", LayerNormCourse.Steps, problem, problem.Bytes, "GB/s");
        }
        using (var buffers = new DeviceBuffers(gpu))
        {
            int count = size.Sum;
            var problem = new SumProblem(count, buffers.Random(count), buffers.Zeros(sizeof(float)), buffers.Zeros(SumCourse.WorkspaceBytes(count)));
            Family(rows, "sum", $"{count} floats", SumCourse.Steps, problem, problem.Bytes, "GB/s");
        }
        return rows;
    }

    /// <summary>
    /// Measures every step on the same problem, then fills in the ratio to the backend's kernel
    /// (the one with the same <see cref="CourseStep{TProblem}.Tf32"/>).
    /// </summary>
    void Family<TProblem>(List<Row> rows, string family, string shape, IReadOnlyList<CourseStep<TProblem>> steps, TProblem problem,
        double work, string unit)
    {
        var measured = steps.Select(step => (step, cost: Measure(() => step.Launch(gpu, problem)))).ToList();
        foreach (var (step, cost) in measured)
        {
            var backend = measured.Last(other => other.step.Backend && other.step.Tf32 == step.Tf32).cost;
            double? rate = cost.Milliseconds is double ms ? work / (ms * 1e6) : null;
            double? ratio = IsSoftware
                ? (double)backend.Instructions!.Value / cost.Instructions!.Value
                : backend.Milliseconds!.Value / cost.Milliseconds!.Value;
            rows.Add(new Row(family, shape, step.Number, step.Name, step.Source, step.Backend, cost.Milliseconds, rate, unit,
                cost.Instructions, cost.Sanitizer, ratio));
        }
    }

    sealed record Cost(double? Milliseconds, long? Instructions, string? Sanitizer);

    Cost Measure(Action launch)
    {
        if (gpu is SoftwareGpuDevice software)
        {
            software.ClearReports();
            long before = software.Statistics.InstructionsExecuted;
            launch();
            long instructions = software.Statistics.InstructionsExecuted - before;
            var reports = software.Reports;
            string verdict = reports.Count == 0 ? "clean" : $"{reports.Count} findings, first: {reports[0].Check} at PTX line {reports[0].Line}";
            return new Cost(null, instructions, verdict);
        }
        var start = gpu.CreateEvent();
        var end = gpu.CreateEvent();
        try
        {
            for (int i = 0; i < Warmup; i++) launch();
            var times = new double[Repeats];
            for (int r = 0; r < Repeats; r++)
            {
                gpu.Record(start);
                launch();
                gpu.Record(end);
                times[r] = gpu.ElapsedMilliseconds(start, end);
            }
            Array.Sort(times);
            return new Cost(times[Repeats / 2], null, null);
        }
        finally
        {
            gpu.DestroyEvent(start);
            gpu.DestroyEvent(end);
        }
    }

    /// <summary>The table, one line per step, Markdown-style.</summary>
    public static void Print(List<Row> rows, bool software, TextWriter output)
    {
        if (software)
        {
            output.WriteLine($"| {"family",-10} | {"shape",-20} | {"step",-32} | {"source",-48} | {"instructions",13} | {"× backend",9} | sanitizer |");
            output.WriteLine($"|{new string('-', 12)}|{new string('-', 22)}|{new string('-', 34)}|{new string('-', 50)}|{new string('-', 15)}|{new string('-', 11)}|-----------|");
            foreach (var r in rows)
                output.WriteLine($"| {r.Family,-10} | {r.Shape,-20} | {Label(r),-32} | {r.Source,-48} | {r.Instructions,13:N0} | {r.BackendRatio,9:F2} | {r.Sanitizer} |");
        }
        else
        {
            output.WriteLine($"| {"family",-10} | {"shape",-20} | {"step",-32} | {"source",-48} | {"ms",9} | {"rate",16} | {"× backend",9} |");
            output.WriteLine($"|{new string('-', 12)}|{new string('-', 22)}|{new string('-', 34)}|{new string('-', 50)}|{new string('-', 11)}|{new string('-', 18)}|{new string('-', 11)}|");
            foreach (var r in rows)
                output.WriteLine($"| {r.Family,-10} | {r.Shape,-20} | {Label(r),-32} | {r.Source,-48} | {r.Milliseconds,9:F4} | {$"{r.Rate:F0} {r.RateUnit}",16} | {r.BackendRatio,9:F2} |");
        }
    }

    static string Label(Row r) => $"{r.Step}. {r.Name}";
}

/// <summary>Problem sizes of the benchmark: small ones for the software GPU, BERT-base ones for a real GPU.</summary>
public sealed record CourseSize((int M, int N, int K) Gemm, (int Rows, int Cols) Softmax, (int Rows, int Cols) LayerNorm, int Sum)
{
    /// <summary>Seconds on the software GPU (every step is interpreted, thread by thread).</summary>
    public static CourseSize Small { get; } = new((128, 128, 128), (64, 128), (64, 768), 1 << 16);

    /// <summary>BERT-base training shapes (B = 32, S = 128): the FFN's up projection, attention probabilities, a hidden state.</summary>
    public static CourseSize Bert { get; } = new((4096, 3072, 768), (32 * 12 * 128, 128), (32 * 128, 768), 32 * 128 * 768);
}
