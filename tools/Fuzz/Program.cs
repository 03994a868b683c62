using System.Globalization;
using CudaBert.Fuzz;

// cudabert-fuzz [--inputs N] [--seed S] [--only NAME[,NAME]] [--from I] [--time-limit SECONDS] [--keep DIR]
// Feeds N mutated inputs to each parser and prints tried / accepted / rejected / crashed / hung.
// Exit code 1 when anything crashed or hung.
int inputs = 1000, seed = 1, from = 0;
double timeLimit = 5;
string[]? only = null;
string? keep = null;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--inputs": inputs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--from": from = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--time-limit": timeLimit = double.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--only": only = Value().Split(','); break;
        case "--keep": keep = Value(); break;
        default:
            Console.Error.WriteLine($"cudabert-fuzz: unknown option '{args[i]}' (parsers: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))})");
            return 2;
    }
}

var runner = new FuzzRunner(seed, TimeSpan.FromSeconds(timeLimit)) { KeepFolder = keep };
var targets = FuzzTargets.All.Where(t => only is null || only.Contains(t.Name)).ToList();
Console.WriteLine($"cudabert-fuzz: {inputs} inputs per parser from input {from}, seed {seed}, {timeLimit} s per input");
var results = new List<FuzzResult>();
foreach (var target in targets)
{
    var started = DateTime.UtcNow;
    var result = runner.Run(target, inputs, from, progress: r => Console.Error.Write($"\r{r}"));
    Console.Error.Write("\r");
    Console.WriteLine($"{result}   ({(DateTime.UtcNow - started).TotalSeconds:F0} s)");
    foreach (string finding in result.Findings) Console.WriteLine($"    {finding}");
    results.Add(result);
}
Console.WriteLine();
Console.WriteLine(FuzzResult.Header);
foreach (var result in results) Console.WriteLine(result);
return results.Any(r => r.Crashed + r.Hung > 0) ? 1 : 0;
