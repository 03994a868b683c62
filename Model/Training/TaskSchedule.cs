namespace CudaBert.Model.Training;

/// <summary>Which task losses an optimizer step uses.</summary>
[Flags]
public enum TaskSet
{
    /// <summary>Neither task: every batch of the step is skipped.</summary>
    None = 0,
    /// <summary>The sentence-classification loss.</summary>
    Sentence = 1,
    /// <summary>The token-classification loss.</summary>
    Tokens = 2,
    /// <summary>Both losses, weighted and summed.</summary>
    Both = Sentence | Tokens,
}

/// <summary>
/// When each task takes part in an update. <c>joint</c> (the default) sums both losses at every step.
/// <c>alternate:A,B</c> uses the sentence loss every A-th step and the token loss every B-th step
/// (e.g. <c>alternate:1,2</c>: sentence every step, tokens every second step) — for when one task's
/// gradients drown the other's. <c>per-epoch</c> trains only the sentence task in even epochs and
/// only the token task in odd ones.
/// </summary>
public abstract record TaskSchedule
{
    /// <summary>The tasks whose losses optimizer step <paramref name="step"/> of epoch <paramref name="epoch"/> uses (both counted from 0).</summary>
    public abstract TaskSet ActiveTasks(int step, int epoch);

    /// <summary>The default schedule: both tasks at every step.</summary>
    public static TaskSchedule Joint { get; } = new JointSchedule();

    /// <summary>Parses <c>joint</c>, <c>alternate:A,B</c> or <c>per-epoch</c>.</summary>
    public static TaskSchedule Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "joint") return Joint;
        if (t == "per-epoch") return new PerEpochSchedule();
        if (t.StartsWith("alternate:", StringComparison.Ordinal))
        {
            var parts = t["alternate:".Length..].Split(',');
            if (parts.Length == 2 && int.TryParse(parts[0], out int a) && int.TryParse(parts[1], out int b) && a > 0 && b > 0)
                return new AlternatingSchedule(a, b);
        }
        throw new FormatException($"task schedule '{text}': expected 'joint', 'per-epoch' or 'alternate:A,B' with A, B ≥ 1 (e.g. 'alternate:1,2')");
    }

    sealed record JointSchedule : TaskSchedule
    {
        public override TaskSet ActiveTasks(int step, int epoch) => TaskSet.Both;
        public override string ToString() => "joint";
    }

    /// <summary>Steps are counted from 0: step s uses the sentence task when s % A == 0, tokens when s % B == 0.</summary>
    public sealed record AlternatingSchedule(int SentenceEvery, int TokensEvery) : TaskSchedule
    {
        /// <inheritdoc/>
        public override TaskSet ActiveTasks(int step, int epoch) =>
            (step % SentenceEvery == 0 ? TaskSet.Sentence : TaskSet.None) | (step % TokensEvery == 0 ? TaskSet.Tokens : TaskSet.None);
        /// <summary>The schedule in the syntax <see cref="Parse"/> reads.</summary>
        public override string ToString() => $"alternate:{SentenceEvery},{TokensEvery}";
    }

    sealed record PerEpochSchedule : TaskSchedule
    {
        public override TaskSet ActiveTasks(int step, int epoch) => epoch % 2 == 0 ? TaskSet.Sentence : TaskSet.Tokens;
        public override string ToString() => "per-epoch";
    }
}
