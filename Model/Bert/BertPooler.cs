using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// The optional pooler of pretrained checkpoints (Hugging Face <c>pooler.dense</c>): tanh(dense(h[:, 0])),
/// the first ([CLS]) token of each sequence.
/// </summary>
public sealed class BertPooler : Module
{
    /// <summary>A freshly initialised hidden → hidden projection.</summary>
    /// <param name="config">Gives the hidden size.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>).</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertPooler(BertConfig config, Generator generator, DType dtype)
    {
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
    }

    /// <summary>The hidden → hidden projection of the [CLS] state, before the tanh.</summary>
    public Linear Dense { get; }

    /// <summary>hidden [B, S, H] → [B, H].</summary>
    public Tensor Forward(Tensor hidden)
    {
        int batch = hidden.Shape[0], seq = hidden.Shape[1], width = hidden.Shape[2];
        // Row b·S of the [B·S, H] view is token 0 of sequence b. An embedding lookup into that view
        // picks those rows, and its backward scatters the gradient back into them.
        var rows = Ops.Reshape(hidden, batch * seq, width);
        var firstTokenRows = Tensor.FromArray(Enumerable.Range(0, batch).Select(b => b * seq).ToArray(), [batch], hidden.Device);
        return Ops.Tanh(Dense.Forward(Ops.Embedding(firstTokenRows, rows)));
    }
}
