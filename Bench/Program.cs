using BenchmarkDotNet.Running;

// Benchmarks: `dotnet run -c Release --project Bench -- --filter '*'` (BenchmarkDotNet switcher).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
