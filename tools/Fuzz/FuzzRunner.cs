namespace CudaBert.Fuzz;

/// <summary>
/// Runs mutated inputs through a target. Input i of a target is a pure function of the seed and i,
/// so a finding is reproduced with <c>--seed S --only TARGET --from I --inputs 1 --keep DIR</c>. Each input is
/// written over the previous one in a scratch folder (every input has the seed's file names) and parsed
/// on a worker thread that gets <see cref="TimeLimit"/>; a parse still running then is counted as hung
/// and left behind (it cannot be stopped safely), with its folder.
/// </summary>
public sealed class FuzzRunner(int seed, TimeSpan timeLimit)
{
    public TimeSpan TimeLimit { get; } = timeLimit;

    /// <summary>Where inputs that crashed or hung are copied (one folder per finding), or null.</summary>
    public string? KeepFolder { get; init; }

    public FuzzResult Run(FuzzTarget target, int inputs, int from = 0, Action<FuzzResult>? progress = null)
    {
        var result = new FuzzResult(target.Name);
        string scratch = Directory.CreateDirectory(Path.Combine(ScratchRoot, $"cudabert-fuzz-{target.Name}-{Guid.NewGuid():N}")).FullName;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string folder = Path.Combine(scratch, from.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            for (int i = from; i < from + inputs; i++)
            {
                var random = new Random(StableHash(target.Name, seed, i));
                var files = target.Mutate(random);
                Write(folder, files);
                var outcome = Attempt(target, folder);
                result.Tried++;
                switch (outcome)
                {
                    case null: result.Accepted++; break;
                    case { } e when target.IsDocumented(e): result.Rejected++; break;
                    default:
                        bool hung = outcome is TimeoutException;
                        if (hung) result.Hung++;
                        else result.Crashed++;
                        string kind = hung ? "hung" : $"{outcome.GetType().Name}: {First(outcome.Message, 80)}";
                        if (seen.Add(kind))
                        {
                            result.Findings.Add($"input {i}: {kind}");
                            if (KeepFolder is not null) Write(Path.Combine(KeepFolder, $"{target.Name}-{i}"), files);
                        }
                        break;
                }
                if (outcome is TimeoutException) folder = Path.Combine(scratch, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (progress is not null && result.Tried % 1000 == 0) progress(result);
            }
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { }   // a hung parse may still hold a file
        }
        return result;
    }

    /// <summary>A RAM disk where the system has one (every input is a few files written and read back), else the temporary folder.</summary>
    static string ScratchRoot => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    /// <summary>Null when the target accepted the input, else the exception (a <see cref="TimeoutException"/> for a hang).</summary>
    Exception? Attempt(FuzzTarget target, string folder)
    {
        Exception? thrown = null;
        var worker = new Thread(() =>
        {
            try { target.Parse(folder); }
            catch (Exception e) { thrown = e; }
        }, maxStackSize: 16 << 20) { IsBackground = true };
        worker.Start();
        return worker.Join(TimeLimit) ? thrown : new TimeoutException($"still running after {TimeLimit.TotalSeconds} s");
    }

    static void Write(string folder, IReadOnlyDictionary<string, byte[]> files)
    {
        foreach (var (name, bytes) in files)
        {
            string path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }

    /// <summary>A hash of the target name, seed and input number that is the same in every process (string.GetHashCode is not).</summary>
    static int StableHash(string name, int seed, int index)
    {
        uint hash = 2166136261;
        foreach (char c in name) hash = (hash ^ c) * 16777619;
        hash = (hash ^ (uint)seed) * 16777619;
        hash = (hash ^ (uint)index) * 16777619;
        return (int)(hash ^ (hash >> 15));
    }

    static string First(string text, int length) => text.Length <= length ? text : text[..length] + "...";
}
