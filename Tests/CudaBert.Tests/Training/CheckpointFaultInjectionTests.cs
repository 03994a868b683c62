using CudaBert.Model.Bert;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// A save interrupted at every file-system operation — before, between and after each one — by a
/// killed process (the run folder copied as it is at that instant) or by an exception: the next run
/// always finds one complete checkpoint, the previous or the new one, and no temporaries.
/// The save under test writes <c>checkpoint-2</c> over a run holding <c>checkpoint-1</c>, keeping one.
/// </summary>
public class CheckpointFaultInjectionTests
{
    const string NewFolder = "checkpoint-2";

    /// <summary>32 examples in batches of 16: two steps per epoch; dev of 8 evaluated at the epoch end.</summary>
    static TinyTrainingSetup NewSetup() => new(trainCount: 32, devCount: 8);

    static TrainingOptions Options(TinyTrainingSetup setup, string run) => setup.Options(run) with { Epochs = 1, KeepCheckpoints = 1 };

    /// <summary>A run folder holding checkpoint-1 (one step of two taken).</summary>
    static string RunWithOneCheckpoint(TinyTrainingSetup setup)
    {
        var options = Options(setup, "template");
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, options);
        trainer.Run(stopAfterSteps: 1);
        return options.Out!;
    }

    /// <summary>Resumes a copy of the template and takes the second step, whose save calls <paramref name="hook"/>.</summary>
    static void SaveTheSecondCheckpoint(TinyTrainingSetup setup, string template, string run, Action<string> hook)
    {
        CopyFolder(template, Path.Combine(setup.Folder, run));
        var options = Options(setup, run);
        using var model = MultiTaskBert.Load(RunCheckpoints.Latest(options.Out!)!);
        using var trainer = setup.Trainer(model, options);
        trainer.ResumeFrom(options.Out!);
        trainer.FileOperationHook = hook;
        trainer.Run(stopAfterSteps: 1);
    }

    [Fact]
    public void AProcessKilledAtAnyPointOfASaveLeavesTheOldOrTheNewCheckpointComplete()
    {
        using var setup = NewSetup();
        string template = RunWithOneCheckpoint(setup);
        var operations = new List<string>();
        string run = Path.Combine(setup.Folder, "live");
        SaveTheSecondCheckpoint(setup, template, "live", operation =>
        {
            CopyFolder(run, Path.Combine(setup.Folder, $"killed-{operations.Count}"));
            operations.Add(operation);
        });

        // The evaluation at the end of the epoch first writes the best checkpoint (OUT/best, by the
        // same write-validate-rename steps); then the numbered checkpoint is saved.
        const string bestInPlace = $"after renaming the new {RunCheckpoints.BestFolderName} into place";
        Assert.Contains(bestInPlace, operations);
        Assert.True(operations.IndexOf("after load the written checkpoint back") < operations.IndexOf(bestInPlace), "best/ was renamed into place before it was loaded back");
        // The seam sees every file operation, and the new checkpoint is loaded back before it is
        // renamed into place, which happens before the old one is removed.
        string[] expected =
        [
            "before create the temporary folder", "after write config.json and model.safetensors", "after write sentence_labels.txt",
            "after write token_labels.txt", "after copy vocab.txt", "after write optimizer.safetensors", "after write trainer_state.json",
            "after flush model.safetensors to disk", "after load the written checkpoint back", $"after rename the temporary folder to {NewFolder}",
            "before renaming checkpoint-1 away", "after renaming checkpoint-1 away", "after deleting checkpoint-1",
        ];
        Assert.Equal(expected, operations.SkipWhile(o => o != bestInPlace).Where(expected.Contains));
        int published = operations.IndexOf($"after rename the temporary folder to {NewFolder}");

        for (int i = 0; i < operations.Count; i++)
        {
            string killed = Path.Combine(setup.Folder, $"killed-{i}");
            AssertEveryCheckpointFolderIsComplete(killed);
            AssertANewRunFinds(setup, killed, i >= published ? 2 : 1, operations[i]);
        }
    }

    [Fact]
    public void ASaveThatThrowsAtAnyPointLeavesTheOldOrTheNewCheckpointComplete()
    {
        using var setup = NewSetup();
        string template = RunWithOneCheckpoint(setup);
        var operations = new List<string>();
        SaveTheSecondCheckpoint(setup, template, "counted", operations.Add);
        int published = operations.IndexOf($"after rename the temporary folder to {NewFolder}");

        // Throwing after one operation and before the next leave the same state: every "before" point and the last point.
        var points = Enumerable.Range(0, operations.Count).Where(i => operations[i].StartsWith("before ") || i == operations.Count - 1);
        foreach (int i in points)
        {
            int calls = 0, failAt = i;
            string run = $"failed-{i}";
            var error = Assert.Throws<IOException>(() => SaveTheSecondCheckpoint(setup, template, run, _ =>
            {
                if (calls++ == failAt) throw new IOException("injected");
            }));
            Assert.Equal("injected", error.Message);
            AssertEveryCheckpointFolderIsComplete(Path.Combine(setup.Folder, run));
            AssertANewRunFinds(setup, Path.Combine(setup.Folder, run), i >= published ? 2 : 1, operations[i]);
        }
    }

    /// <summary>A folder named checkpoint-STEP, whenever it exists, loads for prediction and resuming; so does best/.</summary>
    static void AssertEveryCheckpointFolderIsComplete(string run)
    {
        string best = Path.Combine(run, RunCheckpoints.BestFolderName);
        if (Directory.Exists(best))
            using (TwoTaskPipeline.Load(best)) { }
        foreach (var (step, folder) in RunCheckpoints.List(run))
        {
            using (TwoTaskPipeline.Load(folder)) { }
            Assert.Equal(step, Checkpoint.LoadState(folder).OptimizerStep);
        }
    }

    /// <summary>What a new run finds: no temporaries once it starts, and the expected newest checkpoint, which it resumes.</summary>
    static void AssertANewRunFinds(TinyTrainingSetup setup, string run, int step, string point)
    {
        string found = RunCheckpoints.Latest(run) ?? throw new Xunit.Sdk.XunitException($"no checkpoint after a failure at '{point}'");
        Assert.True(Path.GetFileName(found) == RunCheckpoints.FolderName(step), $"after a failure at '{point}': found {found}, expected step {step}");
        using var model = MultiTaskBert.Load(found);
        using var trainer = setup.Trainer(model, Options(setup, run));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName),
            name => name!.StartsWith(Checkpoint.TemporaryPrefix) || name.StartsWith(RunCheckpoints.RemovedPrefix));
        trainer.ResumeFrom(run);
        Assert.Equal(step, trainer.State.OptimizerStep);
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }
}
