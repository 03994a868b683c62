using CudaBert.Kernels.Device;

namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// Stream capture and graphs (ICudaDevice.BeginCapture … LaunchGraph): captured work does not run until
/// the graph is launched, runs on every launch with the arguments and uploaded bytes it had at capture
/// time, reads the memory as it is when it runs, and the calls that would wait for captured work fail.
/// </summary>
public class GraphCaptureTests
{
    const int N = 300, Block = 128;

    static void Add(ICudaDevice gpu, CudaFunction kernel, DevicePtr a, DevicePtr b, DevicePtr c) =>
        gpu.Launch(kernel, (N + Block - 1) / Block, Block, 0, null, new KernelArgs().Ptr(a).Ptr(b).Ptr(c).I32(N));

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void CapturedWorkRunsOnlyWhenTheGraphIsLaunchedAndOnEveryLaunch(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/vector_add"), "vector_add");
        float[] a = TestInputs.NonZero(1, N), b = TestInputs.NonZero(2, N), ones = Enumerable.Repeat(1f, N).ToArray();
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, N), dc = new(gpu, N, fill: 0), dd = new(gpu, N, fill: 0);

        gpu.BeginCapture();
        Assert.True(gpu.IsCapturing());
        gpu.CopyToDevice<float>(b, db.Ptr, new CudaStream(0));   // recorded with b's bytes as they are now
        Add(gpu, kernel, da.Ptr, db.Ptr, dc.Ptr);                 // c = a + b
        gpu.CopyDeviceToDevice(dc.Ptr, dd.Ptr, N * sizeof(float)); // d = c
        Add(gpu, kernel, dd.Ptr, da.Ptr, dc.Ptr);                 // c = d + a
        b.AsSpan().Clear();                                       // the capture copied the bytes: this changes nothing
        var graph = gpu.EndCapture();
        Assert.False(gpu.IsCapturing());
        Assert.All(dc.Read(), v => Assert.Equal(0f, v));          // nothing ran yet

        b = TestInputs.NonZero(2, N);
        gpu.LaunchGraph(graph);
        float[] c = dc.Read();
        for (int i = 0; i < N; i++) Assert.Equal(a[i] + b[i] + a[i], c[i]);

        // A replay reads memory as it is then: with a = 1 it computes (1 + b) + 1.
        gpu.CopyToDevice<float>(ones, da.Ptr);
        gpu.LaunchGraph(graph);
        c = dc.Read();
        for (int i = 0; i < N; i++) Assert.Equal(1f + b[i] + 1f, c[i]);
        gpu.DestroyGraph(graph);
    }

    [Fact]
    public void AHostReadOrASynchronizationWhileCapturingFailsAsOnTheHardware()
    {
        using var gpu = TestDevices.Open(TestDevices.Software);
        using DeviceArray<float> x = new(gpu, N, fill: 0);
        gpu.BeginCapture();

        var read = Assert.Throws<CudaException>(() => x.Read());
        Assert.Equal("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", read.ErrorName);
        Assert.Contains("captured", read.Message);
        Assert.Equal("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", Assert.Throws<CudaException>(() => gpu.Synchronize()).ErrorName);
        Assert.Equal("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", Assert.Throws<CudaException>(() => gpu.CopyToDevice<float>([1f], x.Ptr)).ErrorName);
        Assert.Equal("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", Assert.Throws<CudaException>(() => gpu.Free(x.Ptr)).ErrorName);

        gpu.EndCapture();
        Assert.All(x.Read(), v => Assert.Equal(0f, v));           // after the capture, reads work again
    }
}
