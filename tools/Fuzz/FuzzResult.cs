namespace CudaBert.Fuzz;

/// <summary>What one parser did with its inputs: accepted, rejected with a documented exception, crashed (any other exception) or hung (over the time limit).</summary>
public sealed class FuzzResult(string target)
{
    public string Target { get; } = target;
    public int Tried { get; set; }
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int Crashed { get; set; }
    public int Hung { get; set; }

    /// <summary>One line per distinct crash (exception type and message start) or hang, with the input number that found it first.</summary>
    public List<string> Findings { get; } = [];

    public static string Header => $"{"parser",-18} {"tried",9} {"accepted",9} {"rejected",9} {"crashed",8} {"hung",5}";

    public override string ToString() => $"{Target,-18} {Tried,9} {Accepted,9} {Rejected,9} {Crashed,8} {Hung,5}";
}
