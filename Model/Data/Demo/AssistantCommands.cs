using CudaBert.Model.Training;

namespace CudaBert.Model.Data.Demo;

/// <summary>
/// The built-in demo dataset of <c>cudabert train</c>: voice-assistant commands generated from
/// templates written for this project, each with an intent and IOB2 slot tags. Deterministic for a
/// seed. <see cref="Generate"/> can keep slot tags on only a fraction of the examples, which is the
/// situation the two-task strategies are for: plenty of sentence labels, few token labels.
/// </summary>
public static class AssistantCommands
{
    // A template is a list of pieces: plain words, or "{slot}" drawn from that slot's fillers.
    static readonly (string Intent, string[] Templates)[] Intents =
    [
        ("SetAlarm", [
            "wake me up at {time}", "set an alarm for {time} {day}", "please set an alarm at {time}",
            "i need an alarm {day} at {time}", "alarm for {time}",
        ]),
        ("PlayMusic", [
            "play some {genre}", "play {song} by {artist}", "put on {artist}", "i want to hear {genre} music",
            "play the latest album by {artist}", "can you play {song}",
        ]),
        ("GetWeather", [
            "what is the weather in {city}", "will it rain in {city} {day}", "how cold is it in {city}",
            "weather forecast for {city} {day}", "is it sunny {day}",
        ]),
        ("SendMessage", [
            "text {contact} that {message}", "send a message to {contact}", "tell {contact} {message}",
            "message {contact} saying {message}",
        ]),
        ("AddToList", [
            "add {item} to my {list} list", "put {item} on the {list} list", "remember to buy {item}",
            "add {item} and {item} to the {list} list",
        ]),
        ("SwitchDevice", [
            "turn on the {device} in the {room}", "switch off the {room} {device}", "turn the {device} off",
            "dim the {device} in the {room}",
        ]),
    ];

    static readonly Dictionary<string, string[]> Fillers = new()
    {
        ["time"] = ["seven", "7 am", "six thirty", "noon", "half past eight", "9 pm", "midnight"],
        ["day"] = ["tomorrow", "today", "on monday", "on friday", "this weekend", "next tuesday"],
        ["genre"] = ["jazz", "classical", "hip hop", "rock", "lo fi beats", "country"],
        ["song"] = ["blue river", "the long road", "paper moon", "golden hour", "city lights"],
        ["artist"] = ["nina grey", "the harbor band", "leo marsh", "dj cobalt", "ana ruiz"],
        ["city"] = ["paris", "new york", "tokyo", "berlin", "san francisco", "lagos", "lima"],
        ["contact"] = ["mom", "alex", "dr patel", "my brother", "sam", "the team"],
        ["message"] = ["i am running late", "call me back", "dinner is ready", "see you soon"],
        ["item"] = ["milk", "eggs", "olive oil", "batteries", "green tea", "bread"],
        ["list"] = ["shopping", "grocery", "todo", "hardware store"],
        ["device"] = ["lights", "heater", "fan", "tv", "lamp"],
        ["room"] = ["kitchen", "bedroom", "living room", "office", "garage"],
    };

    /// <summary>All intent names, in a fixed order.</summary>
    public static IReadOnlyList<string> IntentNames { get; } = Intents.Select(i => i.Intent).ToArray();

    /// <summary>All slot tags in IOB2 form, "O" first.</summary>
    public static IReadOnlyList<string> SlotTags { get; } =
        ["O", .. Fillers.Keys.Order(StringComparer.Ordinal).SelectMany(s => new[] { "B-" + s, "I-" + s })];

    /// <param name="count">Number of examples.</param>
    /// <param name="seed">Same seed, same examples.</param>
    /// <param name="taggedFraction">Share of examples that keep their slot tags (the rest carry only the intent).</param>
    /// <param name="source">What the examples name as their <see cref="TwoTaskExample.Source"/> (line numbers count from 1).</param>
    public static List<TwoTaskExample> Generate(int count, ulong seed, double taggedFraction = 1.0, string source = "demo")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (taggedFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(taggedFraction), "must be in [0, 1]");
        var random = new DeterministicRandom(seed);
        var examples = new List<TwoTaskExample>(count);
        for (int n = 0; n < count; n++)
        {
            var (intent, templates) = Intents[random.NextInt(Intents.Length)];
            string template = templates[random.NextInt(templates.Length)];
            var words = new List<string>();
            var tags = new List<string>();
            foreach (string piece in template.Split(' '))
            {
                if (piece.StartsWith('{'))
                {
                    string slot = piece[1..^1];
                    var choices = Fillers[slot];
                    string[] fillerWords = choices[random.NextInt(choices.Length)].Split(' ');
                    for (int w = 0; w < fillerWords.Length; w++)
                    {
                        words.Add(fillerWords[w]);
                        tags.Add((w == 0 ? "B-" : "I-") + slot);
                    }
                }
                else
                {
                    words.Add(piece);
                    tags.Add("O");
                }
            }
            bool tagged = random.NextDouble() < taggedFraction;
            examples.Add(new TwoTaskExample([.. words], intent, tagged ? [.. tags] : null, source, n + 1));
        }
        return examples;
    }
}
