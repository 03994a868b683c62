// Writes a skewed copy of SNIPS for trying the class-imbalance options of `cudabert train`:
// dev/ and the label files are copied unchanged; train/ keeps every PlayMusic example, 150 of
// four other intents, 30 BookRestaurant and 7 AddToPlaylist (the first ones in file order, so the
// copy is the same on every run). PlayMusic is then about three quarters of train.
//
//   dotnet run tools/imbalanced-snips/imbalanced-snips.cs -- data/snips /tmp/snips-skewed

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: imbalanced-snips.cs SNIPS_FOLDER OUTPUT_FOLDER");
    return 2;
}
string source = args[0], target = args[1];
var quota = new Dictionary<string, int>
{
    ["PlayMusic"] = int.MaxValue,
    ["GetWeather"] = 150, ["RateBook"] = 150, ["SearchCreativeWork"] = 150, ["SearchScreeningEvent"] = 150,
    ["BookRestaurant"] = 30,
    ["AddToPlaylist"] = 7,
};

string[] files = ["seq.in", "seq.out", "label"];
var columns = files.Select(f => File.ReadAllLines(Path.Combine(source, "train", f))).ToArray();
if (columns.Any(c => c.Length != columns[0].Length))
    throw new InvalidDataException($"{source}/train: seq.in, seq.out and label differ in line count");

var taken = quota.Keys.ToDictionary(k => k, _ => 0);
var kept = new List<int>();
for (int i = 0; i < columns[2].Length; i++)
{
    string intent = columns[2][i];
    if (!quota.TryGetValue(intent, out int limit))
        throw new InvalidDataException($"{source}/train/label line {i + 1}: intent '{intent}' is not one of SNIPS's seven");
    if (taken[intent] < limit) { taken[intent]++; kept.Add(i); }
}

Directory.CreateDirectory(Path.Combine(target, "train"));
for (int f = 0; f < files.Length; f++)
    File.WriteAllLines(Path.Combine(target, "train", files[f]), kept.Select(i => columns[f][i]));
Directory.CreateDirectory(Path.Combine(target, "dev"));
foreach (string f in files)
    File.Copy(Path.Combine(source, "dev", f), Path.Combine(target, "dev", f), overwrite: true);
foreach (string f in new[] { "intent_label.txt", "slot_label.txt" })
    File.Copy(Path.Combine(source, f), Path.Combine(target, f), overwrite: true);

Console.WriteLine($"{target}: {kept.Count} train examples ({string.Join(", ", taken.Select(t => $"{t.Key} {t.Value}"))}), dev copied");
return 0;
