using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// The kernels that reduce (sum many values into one) run twice on the same device give the same bits:
/// they use fixed-order reductions, never float atomics. (On the software GPU this holds by construction;
/// on a real GPU it is what rules out atomicAdd-style accumulation.)
/// </summary>
public class DeterminismTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ReductionsAreBitReproducible(string device)
    {
        const int rows = 80, cols = 24, classes = 9;    // 80 rows: the column sum takes both passes
        using var gpu = TestDevices.Open(device);
        float[] x = TestInputs.NonZero(140, rows * cols), dy = TestInputs.NonZero(141, rows * cols), gamma = TestInputs.NonZero(142, cols);
        float[] mean = new float[rows], rstd = new float[rows];
        for (int r = 0; r < rows; r++) { mean[r] = 0.1f; rstd[r] = 1.3f; }
        int[] targets = Enumerable.Range(0, rows).Select(i => i % 7 == 0 ? CrossEntropyKernels.DefaultIgnoreIndex : i % classes).ToArray();
        int[] ids = Enumerable.Range(0, rows).Select(i => i * 7 % 11).ToArray();
        using DeviceArray<float> dx = new(gpu, x), ddy = new(gpu, dy), dgamma = new(gpu, gamma), dmean = new(gpu, mean), drstd = new(gpu, rstd),
            outDx = new(gpu, rows * cols), outDgamma = new(gpu, cols), outDbeta = new(gpu, cols), sums = new(gpu, cols),
            loss = new(gpu, 1), dloss = new(gpu, [1f]), dlogits = new(gpu, rows * classes), table = new(gpu, 11 * cols),
            lnWorkspace = new(gpu, (int)(LayerNormKernels.BackwardWorkspaceBytes(rows, cols) / sizeof(float))),
            sumWorkspace = new(gpu, (int)(BiasKernels.ColumnSumWorkspaceBytes(rows, cols) / sizeof(float))),
            ceWorkspace = new(gpu, (int)(CrossEntropyKernels.WorkspaceBytes(rows) / sizeof(float)));
        using DeviceArray<double> total = new(gpu, 1), normWorkspace = new(gpu, (int)(OptimizerKernels.SumOfSquaresWorkspaceBytes(rows * cols) / sizeof(double)));
        using DeviceArray<int> dtargets = new(gpu, targets), dids = new(gpu, ids);

        float[][] Run()
        {
            LayerNormKernels.Backward(gpu, ddy.Ptr, dx.Ptr, dgamma.Ptr, dmean.Ptr, drstd.Ptr, outDx.Ptr, outDgamma.Ptr, outDbeta.Ptr, rows, cols, lnWorkspace.Ptr);
            BiasKernels.ColumnSum(gpu, dx.Ptr, sums.Ptr, rows, cols, sumWorkspace.Ptr);
            // The first rows·classes elements of x serve as logits.
            CrossEntropyKernels.ForwardBackward(gpu, dx.Ptr, dtargets.Ptr, DevicePtr.Null, CrossEntropyKernels.DefaultIgnoreIndex, rows, classes,
                loss.Ptr, dloss.Ptr, dlogits.Ptr, ceWorkspace.Ptr);
            OptimizerKernels.SumOfSquares(gpu, dx.Ptr, rows * cols, total.Ptr, normWorkspace.Ptr);
            gpu.Memset(table.Ptr, 0, 11 * cols * sizeof(float));
            EmbeddingKernels.Backward(gpu, ddy.Ptr, dids.Ptr, table.Ptr, rows, 11, cols);
            double norm = total.Read()[0];
            return [outDx.Read(), outDgamma.Read(), outDbeta.Read(), sums.Read(), loss.Read(), dlogits.Read(), table.Read(),
                [(float)norm, (float)(norm - (float)norm)]];
        }

        float[][] first = Run(), second = Run();
        string[] names = ["layer norm dx", "dgamma", "dbeta", "column sum", "cross-entropy loss", "dlogits", "embedding dtable", "sum of squares"];
        for (int i = 0; i < names.Length; i++)
            KernelAssert.BitEqual(first[i], second[i], names[i]);
    }
}
