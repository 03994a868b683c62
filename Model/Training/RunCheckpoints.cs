using System.Globalization;
using CudaBert.Model.Bert;

namespace CudaBert.Model.Training;

/// <summary>
/// The checkpoints of a training run, numbered by optimizer step in its output folder:
/// <code>
/// OUT/checkpoint-120/   a complete checkpoint (see <see cref="Checkpoint"/>) after 120 optimizer steps
/// OUT/checkpoint-240/   the newest: the highest step
/// OUT/best/             the checkpoint with the best dev score (see <see cref="CheckpointSelection"/>), without optimizer state
/// OUT/metrics.jsonl     every step and evaluation (see <see cref="MetricsLog"/>)
/// </code>
/// <para>A folder named <c>checkpoint-STEP</c> is complete at every instant, even if the process is
/// killed: a checkpoint is written under a temporary name (<c>.tmp-…</c>), flushed, loaded back and
/// renamed into place in one atomic step (<see cref="Checkpoint.Save(string, MultiTaskBert, Data.LabelSet, Data.LabelSet, string, Engine.Optim.AdamW?, TrainerState?)"/>),
/// and a checkpoint is renamed away (<c>.old-…</c>, also atomic) before it is deleted. So the newest
/// complete checkpoint is simply the one with the highest step, and an older one is removed only
/// after a newer one is in place. Temporaries a killed process left behind are removed by the next
/// run (<see cref="Prepare"/>) and before every save.</para>
/// <para>Wherever a checkpoint folder is read (<c>cudabert predict/eval --model</c>,
/// <see cref="Inference.TwoTaskPipeline.Load"/>) the run folder may be given instead:
/// <see cref="Resolve"/> picks its newest checkpoint; give <c>OUT/best</c> for the best one.</para>
/// <para><c>best/</c> is replaced by the same mechanism: the new one is written complete under a
/// temporary name, the old one renamed away, the new one renamed into place, the old one deleted. A
/// process killed between the two renames leaves no <c>best/</c> but the old one renamed away, which
/// the next run (<see cref="Prepare"/>) renames back.</para>
/// </summary>
public static class RunCheckpoints
{
    /// <summary>Checkpoint folders are named <c>checkpoint-STEP</c>.</summary>
    public const string FolderPrefix = "checkpoint-";
    /// <summary>Start of the name a checkpoint is renamed to before it is deleted.</summary>
    public const string RemovedPrefix = ".old-";
    /// <summary>The folder of the best checkpoint inside the run folder.</summary>
    public const string BestFolderName = "best";

    /// <summary>The folder name of the checkpoint written after optimizer step <paramref name="step"/>: <c>checkpoint-STEP</c>.</summary>
    public static string FolderName(int step) => FolderPrefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>The run's checkpoints, oldest first (none when the folder does not exist).</summary>
    public static IReadOnlyList<(int Step, string Folder)> List(string runFolder)
    {
        if (!Directory.Exists(runFolder)) return [];
        var found = new List<(int, string)>();
        foreach (string folder in Directory.EnumerateDirectories(runFolder, FolderPrefix + "*"))
        {
            string digits = Path.GetFileName(folder)[FolderPrefix.Length..];
            if (digits.Length > 0 && digits.All(char.IsAsciiDigit) && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int step)
                && digits == step.ToString(CultureInfo.InvariantCulture))
                found.Add((step, folder));
        }
        return [.. found.OrderBy(f => f.Item1)];
    }

    /// <summary>The newest complete checkpoint of a run, or null when it has none yet.</summary>
    public static string? Latest(string runFolder) => List(runFolder) is [.., var newest] ? newest.Folder : null;

    /// <summary>
    /// A checkpoint folder (one holding <c>config.json</c>) as it is; a run folder as its newest checkpoint.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder is neither a checkpoint nor a run folder with a checkpoint.</exception>
    public static string Resolve(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model folder not found: {path}");
        string config = Path.Combine(path, BertWeights.ConfigFile);
        if (File.Exists(config)) return path;
        return Latest(path) ?? throw new FileNotFoundException(
            $"{path} is neither a checkpoint (it has no {BertWeights.ConfigFile}) nor a training run folder with a {FolderPrefix}STEP folder", config);
    }

    /// <summary>
    /// Creates the run folder, checks that it can be written, puts back a <c>best/</c> that a killed
    /// replacement had renamed away, and removes the temporaries (<c>.tmp-*</c>, <c>.old-*</c>) a killed
    /// save left in it.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created or written (e.g. it is a file, or read-only).</exception>
    /// <exception cref="UnauthorizedAccessException">Writing the folder is not permitted.</exception>
    public static void Prepare(string runFolder)
    {
        if (File.Exists(runFolder)) throw new IOException($"output folder '{runFolder}' is a file");
        Directory.CreateDirectory(runFolder);
        string probe = Path.Combine(runFolder, $"{Checkpoint.TemporaryPrefix}write-test-{Guid.NewGuid():N}");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
        string best = Path.Combine(runFolder, BestFolderName);
        if (!Directory.Exists(best) && Directory.EnumerateDirectories(runFolder, $"{RemovedPrefix}{BestFolderName}-*").FirstOrDefault() is { } renamedAway)
            Directory.Move(renamedAway, best);
        RemoveTemporaries(runFolder);
    }

    static void RemoveTemporaries(string runFolder)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(runFolder))
        {
            string name = Path.GetFileName(entry);
            if (!name.StartsWith(Checkpoint.TemporaryPrefix, StringComparison.Ordinal) && !name.StartsWith(RemovedPrefix, StringComparison.Ordinal)) continue;
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    /// <summary>
    /// Saves the checkpoint of optimizer step <paramref name="step"/> as <c>checkpoint-STEP</c>, then
    /// removes the older checkpoints beyond the newest <paramref name="keep"/>. Checkpoints numbered
    /// <paramref name="step"/> or higher (left by a continuation of an older checkpoint that this run
    /// replaces) are removed first. Returns the new checkpoint's folder.
    /// </summary>
    /// <param name="runFolder">The run's output folder.</param>
    /// <param name="step">The optimizer step the checkpoint is written after.</param>
    /// <param name="keep">How many of the newest checkpoints to keep, at least 1.</param>
    /// <param name="saveTo">Writes a complete checkpoint at a folder that does not exist yet (as <see cref="Checkpoint.Save(string, MultiTaskBert, Data.LabelSet, Data.LabelSet, string, Engine.Optim.AdamW?, TrainerState?)"/>).</param>
    /// <param name="fileOperation">Test seam: called before and after each file-system operation here.</param>
    internal static string Save(string runFolder, int step, int keep, Action<string> saveTo, Action<string>? fileOperation = null)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "keep at least one checkpoint");
        fileOperation?.Invoke("before removing temporaries");
        RemoveTemporaries(runFolder);
        fileOperation?.Invoke("after removing temporaries");
        foreach (var (_, later) in List(runFolder).Where(c => c.Step >= step))
            Remove(later, fileOperation);
        string folder = Path.Combine(runFolder, FolderName(step));
        saveTo(folder);
        foreach (var (_, old) in List(runFolder).Reverse().Skip(keep))
            Remove(old, fileOperation);
        return folder;
    }

    /// <summary>
    /// Writes a checkpoint as <c>OUT/best</c>, replacing the one there: <paramref name="saveTo"/> writes it
    /// complete under a temporary name, then the old <c>best/</c> is renamed away, the new one renamed
    /// into place and the old one deleted. Returns the folder.
    /// </summary>
    /// <param name="runFolder">The run's output folder.</param>
    /// <param name="saveTo">Writes a complete checkpoint at a folder that does not exist yet (as <see cref="Checkpoint.Save(string, MultiTaskBert, Data.LabelSet, Data.LabelSet, string, Engine.Optim.AdamW?, TrainerState?)"/>).</param>
    /// <param name="fileOperation">Test seam: called before and after each file-system operation here.</param>
    internal static string SaveBest(string runFolder, Action<string> saveTo, Action<string>? fileOperation = null)
    {
        string best = Path.Combine(runFolder, BestFolderName);
        string staged = Path.Combine(runFolder, $"{Checkpoint.TemporaryPrefix}{BestFolderName}-{Guid.NewGuid():N}");
        saveTo(staged);
        string? old = null;
        if (Directory.Exists(best))
        {
            old = Path.Combine(runFolder, $"{RemovedPrefix}{BestFolderName}-{Guid.NewGuid():N}");
            fileOperation?.Invoke($"before renaming {BestFolderName} away");
            Directory.Move(best, old);
            fileOperation?.Invoke($"after renaming {BestFolderName} away");
        }
        fileOperation?.Invoke($"before renaming the new {BestFolderName} into place");
        Directory.Move(staged, best);
        fileOperation?.Invoke($"after renaming the new {BestFolderName} into place");
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
            fileOperation?.Invoke($"after deleting the old {BestFolderName}");
        }
        return best;
    }

    /// <summary>Renames a checkpoint away (atomic: it is never seen half-deleted), then deletes it.</summary>
    static void Remove(string folder, Action<string>? fileOperation)
    {
        string removed = Path.Combine(Path.GetDirectoryName(folder)!, $"{RemovedPrefix}{Path.GetFileName(folder)}-{Guid.NewGuid():N}");
        string name = Path.GetFileName(folder);
        fileOperation?.Invoke($"before renaming {name} away");
        Directory.Move(folder, removed);
        fileOperation?.Invoke($"after renaming {name} away");
        fileOperation?.Invoke($"before deleting {name}");
        Directory.Delete(removed, recursive: true);
        fileOperation?.Invoke($"after deleting {name}");
    }
}
