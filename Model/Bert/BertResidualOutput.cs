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
    public BertResidualOutput(int inFeatures, BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Dense = RegisterModule("dense", new Linear(inFeatures, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps, dtype));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, dropoutSeeds.Next()));
    }

    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }
    public Dropout Dropout { get; }

    public Tensor Forward(Tensor x, Tensor residual) => LayerNorm.Forward(Dropout.Forward(Dense.Forward(x)) + residual);
}
