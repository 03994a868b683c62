namespace CudaBert.Model.Training;

/// <summary>What a freeze rule applies to.</summary>
public enum FreezeTarget
{
    /// <summary>The whole encoder (embeddings and every layer).</summary>
    Encoder,
    /// <summary>The embeddings and the bottom <see cref="FreezeRule.Layers"/> encoder layers.</summary>
    BottomLayers,
    /// <summary>The sentence-classification head.</summary>
    SentenceHead,
    /// <summary>The token-classification head.</summary>
    TokenHead,
}

/// <summary>
/// Freezes part of the model for a span of training. Syntax (the CLI's <c>--freeze</c>, repeatable):
/// <c>TARGET[:WHEN]</c> with TARGET = <c>encoder</c>, <c>bottom-K</c> (embeddings + the bottom K
/// layers), <c>sentence-head</c> or <c>token-head</c>, and WHEN = <c>always</c> (default),
/// <c>until-epoch-N</c> / <c>until-step-N</c> (frozen before epoch/step N, trained from then on: warm
/// up freshly initialised heads on a frozen encoder before letting them disturb it) or
/// <c>from-epoch-N</c> / <c>from-step-N</c> (trained first, frozen from N on: e.g. stop moving the
/// encoder once the scarce task has been fitted). Epochs and steps count from 0.
/// </summary>
public sealed record FreezeRule(FreezeTarget Target, int Layers, FreezeRule.Span When, int Boundary)
{
    /// <summary>When a rule freezes its target, relative to its <see cref="Boundary"/> N.</summary>
    public enum Span
    {
        /// <summary>For the whole run (<c>always</c>).</summary>
        Always,
        /// <summary>In epochs before N, trained from epoch N on (<c>until-epoch-N</c>).</summary>
        UntilEpoch,
        /// <summary>In optimizer steps before N, trained from step N on (<c>until-step-N</c>).</summary>
        UntilStep,
        /// <summary>Trained before epoch N, frozen from epoch N on (<c>from-epoch-N</c>).</summary>
        FromEpoch,
        /// <summary>Trained before optimizer step N, frozen from step N on (<c>from-step-N</c>).</summary>
        FromStep,
    }

    /// <summary>True when the rule freezes its target at optimizer step <paramref name="step"/> of epoch <paramref name="epoch"/> (both from 0).</summary>

    public bool IsFrozen(int step, int epoch) => When switch
    {
        Span.Always => true,
        Span.UntilEpoch => epoch < Boundary,
        Span.UntilStep => step < Boundary,
        Span.FromEpoch => epoch >= Boundary,
        Span.FromStep => step >= Boundary,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Parses <c>TARGET[:WHEN]</c> (case-insensitive, surrounding spaces ignored), e.g. <c>bottom-4:until-epoch-1</c>.</summary>
    /// <exception cref="FormatException">The target or the schedule is unknown; the message names the rule and lists the valid forms.</exception>
    public static FreezeRule Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        int colon = t.IndexOf(':');
        string target = colon < 0 ? t : t[..colon];
        string when = colon < 0 ? "always" : t[(colon + 1)..];

        FreezeTarget kind;
        int layers = 0;
        if (target == "encoder") kind = FreezeTarget.Encoder;
        else if (target == "sentence-head") kind = FreezeTarget.SentenceHead;
        else if (target == "token-head") kind = FreezeTarget.TokenHead;
        else if (target.StartsWith("bottom-", StringComparison.Ordinal) && int.TryParse(target[7..], out layers) && layers > 0)
            kind = FreezeTarget.BottomLayers;
        else
            throw new FormatException($"freeze rule '{text}': unknown target '{target}' (use encoder, bottom-K, sentence-head or token-head)");

        if (when == "always") return new FreezeRule(kind, layers, Span.Always, 0);
        foreach (var (prefix, span) in new[]
                 {
                     ("until-epoch-", Span.UntilEpoch), ("until-step-", Span.UntilStep),
                     ("from-epoch-", Span.FromEpoch), ("from-step-", Span.FromStep),
                 })
            if (when.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(when[prefix.Length..], out int n) && n >= 0)
                return new FreezeRule(kind, layers, span, n);
        throw new FormatException($"freeze rule '{text}': unknown schedule '{when}' (use always, until-epoch-N, until-step-N, from-epoch-N or from-step-N)");
    }

    /// <summary>The rule in the syntax <see cref="Parse"/> reads, e.g. <c>encoder:until-step-100</c>.</summary>
    public override string ToString()
    {
        string target = Target switch
        {
            FreezeTarget.Encoder => "encoder",
            FreezeTarget.BottomLayers => $"bottom-{Layers}",
            FreezeTarget.SentenceHead => "sentence-head",
            _ => "token-head",
        };
        string when = When switch
        {
            Span.Always => "always",
            Span.UntilEpoch => $"until-epoch-{Boundary}",
            Span.UntilStep => $"until-step-{Boundary}",
            Span.FromEpoch => $"from-epoch-{Boundary}",
            _ => $"from-step-{Boundary}",
        };
        return $"{target}:{when}";
    }
}
