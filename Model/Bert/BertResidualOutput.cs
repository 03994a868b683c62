using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// The post-LN sub-layer exit used twice per BERT layer: LayerNorm(residual + dropout(dense(x))).
/// After attention it is Hugging Face's <c>attention.output</c> (dense hidden → hidden); after the
/// feed-forward block it is <c>output</c> (dense intermediate → hidden). Names: <c>dense</c>, <c>LayerNorm</c>.
/// </summary>
public sealed class BertResidualOutput : Module
{
    /// <summary>A freshly initialised exit whose dense layer reads <paramref name="inFeatures"/> features.</summary>
    /// <param name="inFeatures">Width of the sub-layer's output: hidden size after attention, intermediate size after the feed-forward block.</param>
    /// <param name="config">Hidden size, LayerNorm epsilon and dropout rate.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>).</param>
    /// <param name="dropoutSeeds">Hands the dropout layer its seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertResidualOutput(int inFeatures, BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Dense = RegisterModule("dense", new Linear(inFeatures, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps, dtype));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, dropoutSeeds.Next()));
    }

    /// <summary>The projection inFeatures → hidden.</summary>
    public Linear Dense { get; }
    /// <summary>Normalises residual + projection over the hidden dimension.</summary>
    public LayerNorm LayerNorm { get; }
    /// <summary>Dropout on the projection, before the residual is added (rate <see cref="BertConfig.HiddenDropoutProb"/>).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// Whether dropout, residual addition and layer norm run as one fused op (<see cref="Ops.DropoutResidualLayerNorm"/>)
    /// instead of three; the two give the same bits on the CPU, mask bits included.
    /// </summary>
    internal bool Fused { get; set; } = true;

    /// <summary>LayerNorm(<paramref name="residual"/> + dropout(<paramref name="x"/>·W + b)): x [B, S, inFeatures], residual and result [B, S, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor residual) => ForwardProjected(Dense.Forward(x), residual);

    /// <summary>
    /// LayerNorm(<paramref name="residual"/> + dropout(<paramref name="projected"/>)), where <paramref name="projected"/>
    /// [B, S, hidden] is <see cref="Dense"/>'s output computed by the caller (the feed-forward block's fused op,
    /// <see cref="BertIntermediate.ForwardThrough"/>).
    /// </summary>
    public Tensor ForwardProjected(Tensor projected, Tensor residual)
    {
        if (!Fused) return LayerNorm.Forward(Dropout.Forward(projected) + residual);
        // The dropout layer's stream, advanced exactly as its own Forward would.
        bool dropping = Dropout.IsTraining && Dropout.P > 0;
        var y = Ops.DropoutResidualLayerNorm(projected, dropping ? Dropout.P : 0, Dropout.Seed, Dropout.Offset, residual,
            LayerNorm.Weight, LayerNorm.Bias, LayerNorm.Eps);
        projected.ReleaseValues();   // the fused op saves the sum and regenerates the mask: it never reads these again
        if (dropping) Dropout.Offset += (ulong)projected.NumElements;
        return y;
    }
}
