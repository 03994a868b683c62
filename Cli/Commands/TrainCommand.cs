using System.CommandLine;
using System.Diagnostics;
using CudaBert.Model.Demo;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert train</c>: fine-tunes a two-task model. Until the BERT trainer lands, it trains the
/// built-in demo (<see cref="TwoTaskDemo"/>) on the CPU and prints its falling losses.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of the demo.", DefaultValueFactory = _ => 60 };
        var batchSize = new Option<int>("--batch-size") { Description = "Sentences per batch.", DefaultValueFactory = _ => 32 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of data, initialisation and dropout.", DefaultValueFactory = _ => 7UL };
        var command = new Command("train", "Train a multi-task model (with no options: a built-in demo on the CPU).") { steps, batchSize, seed };
        command.SetAction(parse =>
        {
            int totalSteps = parse.GetValue(steps);
            if (totalSteps < 1) { Console.Error.WriteLine($"--steps must be at least 1, got {totalSteps}"); return 1; }
            int batch = parse.GetValue(batchSize);
            if (batch < 1) { Console.Error.WriteLine($"--batch-size must be at least 1, got {batch}"); return 1; }
            using var demo = new TwoTaskDemo(totalSteps, batch, parse.GetValue(seed));
            Console.WriteLine($"demo: tiny two-task encoder ({demo.Model.ParameterCount():N0} parameters) on synthetic intent + slot data, CPU");
            Console.WriteLine(" step  sentence CE  token CE   total    grad norm  lr(encoder)");
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < totalSteps; i++)
            {
                var s = demo.TrainStep();
                if (s.Step == 1 || s.Step % 5 == 0 || s.Step == totalSteps)
                    Console.WriteLine($"{s.Step,5}  {s.SentenceLoss,11:F4}  {s.TokenLoss,8:F4}  {s.Total,7:F4}  {s.GradNorm,9:F3}  {s.LearningRate:E2}");
            }
            var accuracy = demo.Evaluate();
            Console.WriteLine($"held-out accuracy: sentence {accuracy.Sentence:P1}, token {accuracy.Token:P1}  ({clock.Elapsed.TotalSeconds:F1} s)");
            return 0;
        });
        return command;
    }
}
