namespace CudaBert.Engine.Nn;

/// <summary>
/// Which tag paths <see cref="CrfViterbi"/> may return: <see cref="MayStart"/>[t] says whether a
/// sequence may begin with tag t, <see cref="MayFollow"/>[s, t] whether tag t may come right after
/// tag s. A forbidden step scores −∞, so the decoder returns the best path among the allowed ones
/// (e.g. BIO: no I-X at the start or after anything but B-X and I-X).
/// </summary>
public sealed record CrfTransitionMask(bool[] MayStart, bool[,] MayFollow);
