using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// What every <see cref="ICudaDevice"/> promises beyond running kernels: copies, memset, streams and
/// events, module caching, and errors that name the call and the kernel.
/// </summary>
public class DeviceContractTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void CopiesAndMemsetRoundTripOnAStream(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] values = TestInputs.NonZero(20, 300);
        var stream = gpu.CreateStream();
        try
        {
            using DeviceArray<float> first = new(gpu, values.Length), second = new(gpu, values.Length);
            gpu.CopyToDevice<float>(values, first.Ptr, stream);
            gpu.CopyDeviceToDevice(first.Ptr, second.Ptr, values.Length * sizeof(float), stream);
            gpu.Memset(second.Ptr.Offset(100 * sizeof(float)), 0x3F, 4 * sizeof(float), stream);   // 0x3F3F3F3F ≈ 0.747
            var back = new float[values.Length];
            gpu.CopyToHost<float>(second.Ptr, back, stream);

            float pattern = BitConverter.UInt32BitsToSingle(0x3F3F3F3Fu);
            for (int i = 0; i < values.Length; i++)
                Assert.Equal(i is >= 100 and < 104 ? pattern : values[i], back[i]);
        }
        finally
        {
            gpu.DestroyStream(stream);
        }
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void EventsMeasureANonNegativeTime(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/vector_add"), "vector_add");
        using DeviceArray<float> a = new(gpu, TestInputs.NonZero(21, 64)), c = new(gpu, 64);
        CudaEvent start = gpu.CreateEvent(), end = gpu.CreateEvent();
        try
        {
            gpu.Record(start);
            gpu.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(a.Ptr).Ptr(a.Ptr).Ptr(c.Ptr).I32(64));
            gpu.Record(end);
            Assert.True(gpu.ElapsedMilliseconds(start, end) >= 0f);
        }
        finally
        {
            gpu.DestroyEvent(start);
            gpu.DestroyEvent(end);
        }
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void AStreamThatWaitsForAnEventRunsAfterTheWorkRecordedInIt(string device)
    {
        // A launch on the default stream, an event after it, a second stream that waits for the event and
        // copies the result: the copy must see the launch's output (as NCCL's stream relies on).
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/vector_add"), "vector_add");
        float[] values = TestInputs.NonZero(22, 4096);
        using DeviceArray<float> a = new(gpu, values), c = new(gpu, 4096), copy = new(gpu, 4096);
        var stream = gpu.CreateStream();
        var written = gpu.CreateEvent();
        try
        {
            gpu.Launch(kernel, 16, 256, 0, null, new KernelArgs().Ptr(a.Ptr).Ptr(a.Ptr).Ptr(c.Ptr).I32(4096));
            gpu.Record(written);
            gpu.WaitEvent(stream, written);
            gpu.CopyDeviceToDevice(c.Ptr, copy.Ptr, 4096 * sizeof(float), stream);
            gpu.Synchronize(stream);
            Assert.Equal(values.Select(v => v + v), copy.Read());
        }
        finally
        {
            gpu.DestroyEvent(written);
            gpu.DestroyStream(stream);
        }
    }

    /// <summary>On the driver this JIT-compiles every module we ship, teach or test with for the GPU at hand.</summary>
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void EveryEmbeddedModuleLoadsWithItsKernels(string device)
    {
        using var gpu = TestDevices.Open(device);
        // The software GPU also as a compute capability 9.0 device, which the Hopper-only modules need.
        using var hopper = gpu.Info.IsSoftware ? new SoftwareGpuDevice(computeCapabilityMajor: 9) : null;
        foreach (var set in TestPtx.EverySet)
        foreach (var name in set.Names)
        {
            var target = gpu;
            if (name.StartsWith("hopper/", StringComparison.Ordinal) && gpu.Info.ComputeCapabilityMajor != 9)
            {
                // sm_90a PTX: any other GPU refuses it (the launchers never offer it one).
                Assert.Throws<CudaException>(() => set.Load(gpu, name));
                if (hopper is null) continue;
                target = hopper;
            }
            var module = set.Load(target, name);
            foreach (var kernel in PtxModules.KernelNames(set.Get(name)))
                Assert.Equal(kernel, target.GetFunction(module, kernel).Name);
        }
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ModulesAndFunctionsAreCached(string device)
    {
        using var gpu = TestDevices.Open(device);
        var module = TestPtx.Modules.Load(gpu, "tests/vector_add");
        Assert.Same(module, TestPtx.Modules.Load(gpu, "tests/vector_add"));
        Assert.Same(gpu.GetFunction(module, "vector_add"), gpu.GetFunction(module, "vector_add"));
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MissingKernelIsACudaExceptionNamingIt(string device)
    {
        using var gpu = TestDevices.Open(device);
        var module = TestPtx.Modules.Load(gpu, "tests/vector_add");
        var error = Assert.Throws<CudaException>(() => gpu.GetFunction(module, "no_such_kernel"));
        Assert.Contains("no_such_kernel", error.Message);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MalformedPtxIsACudaExceptionNamingTheModule(string device)
    {
        using var gpu = TestDevices.Open(device);
        const string ptx = ".version 7.8\n.target sm_80\n.address_size 64\n\n.visible .entry broken()\n{\n\tthis is not ptx;\n}\n";
        var error = Assert.Throws<CudaException>(() => gpu.LoadModule("tests/broken", ptx));
        Assert.Contains("tests/broken", error.Message);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ImpossibleLaunchIsACudaExceptionNamingTheKernel(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/vector_add"), "vector_add");
        using DeviceArray<float> a = new(gpu, 4);
        // 2048 threads per block: above the 1024 every CUDA GPU allows.
        var error = Assert.Throws<CudaException>(() =>
        {
            gpu.Launch(kernel, 1, 2048, 0, null, new KernelArgs().Ptr(a.Ptr).Ptr(a.Ptr).Ptr(a.Ptr).I32(4));
            gpu.Synchronize();
        });
        Assert.Equal("vector_add", error.Kernel);
    }
}
