namespace CudaBert.Engine.Nn;

/// <summary>BERT's initialisation (Hugging Face <c>BertPreTrainedModel._init_weights</c>, initializer_range 0.02).</summary>
public static class BertInit
{
    /// <summary>Standard deviation of the normal initialisation of linear and embedding weights.</summary>
    public const double Std = 0.02;
}
