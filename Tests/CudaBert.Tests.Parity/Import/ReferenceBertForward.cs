using CudaBert.Engine.IO;
using CudaBert.Model;

namespace CudaBert.Tests.Parity.Import;

/// <summary>
/// A deliberately plain BERT forward pass (one sequence, no padding, float64 arithmetic, loops only),
/// reading parameters by their Hugging Face names. It exists to prove the importer's name mapping and
/// transposes: if any weight were misnamed or left [in, out], its output could not match ONNX Runtime.
/// Post-LN BERT: embeddings → LayerNorm; per layer: self-attention → dense → residual → LayerNorm;
/// dense → GELU(erf) → dense → residual → LayerNorm; pooler: tanh(dense(h[CLS])).
/// </summary>
sealed class ReferenceBertForward(SafetensorsFile weights, BertConfig config)
{
    double[] P(string name) => weights.ReadFloat64(name);

    /// <summary>Returns last_hidden_state [tokens × hidden] and the pooler output [hidden].</summary>
    public (double[][] Hidden, double[] Pooled) Run(int[] tokenIds, int[] tokenTypes)
    {
        int n = tokenIds.Length, h = config.HiddenSize;
        double[] word = P("embeddings.word_embeddings.weight"), position = P("embeddings.position_embeddings.weight"), type = P("embeddings.token_type_embeddings.weight");
        var x = new double[n][];
        for (int t = 0; t < n; t++)
        {
            x[t] = new double[h];
            for (int i = 0; i < h; i++)
                x[t][i] = word[tokenIds[t] * h + i] + position[t * h + i] + type[tokenTypes[t] * h + i];
        }
        x = LayerNorm(x, "embeddings.LayerNorm");

        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"encoder.layer.{l}.";
            var attention = Linear(SelfAttention(x, p + "attention.self."), p + "attention.output.dense");
            x = LayerNorm(Add(attention, x), p + "attention.output.LayerNorm");
            var intermediate = Linear(x, p + "intermediate.dense").Select(row => row.Select(Gelu).ToArray()).ToArray();
            x = LayerNorm(Add(Linear(intermediate, p + "output.dense"), x), p + "output.LayerNorm");
        }

        double[] pooled = Linear([x[0]], "pooler.dense")[0].Select(Math.Tanh).ToArray();
        return (x, pooled);
    }

    double[][] SelfAttention(double[][] x, string prefix)
    {
        int n = x.Length, heads = config.NumAttentionHeads, d = config.HeadSize;
        double[][] q = Linear(x, prefix + "query"), k = Linear(x, prefix + "key"), v = Linear(x, prefix + "value");
        var context = x.Select(_ => new double[config.HiddenSize]).ToArray();
        for (int head = 0; head < heads; head++)
        {
            int o = head * d;
            for (int i = 0; i < n; i++)
            {
                var scores = new double[n];
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[i][o + c] * k[j][o + c];
                    scores[j] = dot / Math.Sqrt(d);
                }
                double max = scores.Max(), sum = 0;
                for (int j = 0; j < n; j++) sum += scores[j] = Math.Exp(scores[j] - max);
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < d; c++) context[i][o + c] += scores[j] / sum * v[j][o + c];
            }
        }
        return context;
    }

    /// <summary>y = x·Wᵀ + b with W in PyTorch's [out, in] layout.</summary>
    double[][] Linear(double[][] x, string prefix)
    {
        double[] w = P(prefix + ".weight"), b = P(prefix + ".bias");
        int outputs = b.Length, inputs = w.Length / outputs;
        return x.Select(row =>
        {
            var y = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double sum = b[o];
                for (int i = 0; i < inputs; i++) sum += row[i] * w[o * inputs + i];
                y[o] = sum;
            }
            return y;
        }).ToArray();
    }

    double[][] LayerNorm(double[][] x, string prefix)
    {
        double[] gamma = P(prefix + ".weight"), beta = P(prefix + ".bias");
        return x.Select(row =>
        {
            double mean = row.Average(), variance = row.Select(v => (v - mean) * (v - mean)).Average();
            double scale = 1 / Math.Sqrt(variance + config.LayerNormEps);
            return row.Select((v, i) => (v - mean) * scale * gamma[i] + beta[i]).ToArray();
        }).ToArray();
    }

    static double[][] Add(double[][] a, double[][] b) => a.Select((row, t) => row.Select((v, i) => v + b[t][i]).ToArray()).ToArray();

    /// <summary>GELU with the exact erf, as BERT: x·Φ(x) = x/2·(1 + erf(x/√2)).</summary>
    static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>
    /// erf by its Maclaurin series for |x| &lt; 3 (alternating terms stay below 1e4, so about 12 correct
    /// digits in double), and by Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7) beyond, where
    /// erf differs from ±1 by less than 2.3e-5.
    /// </summary>
    static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            double term = x, sum = x, x2 = x * x;
            for (int k = 1; k < 80 && Math.Abs(term) > 1e-17; k++)
            {
                term *= -x2 / k;
                sum += term / (2 * k + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        double t = 1 / (1 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return Math.Sign(x) * (1 - poly * Math.Exp(-ax * ax));
    }
}
