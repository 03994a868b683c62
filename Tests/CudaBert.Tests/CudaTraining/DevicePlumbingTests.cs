using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>The <c>--device</c> choice, moving a model, and the additive attention mask on the CUDA device.</summary>
[Collection(CudaBackendCollection.Name)]
public class DevicePlumbingTests(CudaTestDevice device)
{
    [Fact]
    public void CpuAndCudaAreTakenAsAskedAndAnUnknownDeviceIsRefusedByName()
    {
        Assert.Equal(new DeviceChoice(Device.Cpu, "--device cpu"), DeviceChoice.Resolve("cpu"));
        var cuda = DeviceChoice.Resolve("cuda");
        Assert.Equal(Device.Cuda, cuda.Device);
        Assert.StartsWith("--device cuda: ", cuda.Reason);

        var unknown = Assert.Throws<ArgumentException>(() => DeviceChoice.Resolve("gpu"));
        Assert.Equal("option device: 'gpu' is not one of auto, cpu, cuda", unknown.Message);
        var options = Assert.Throws<ArgumentException>(() => new TrainingOptions { Device = "gpu" }.Validated());
        Assert.StartsWith("option device: ", options.Message);
    }

    [Fact]
    public void AutoNeverPicksTheSoftwareGpu()
    {
        var auto = DeviceChoice.Resolve("auto");
        if (device.Gpu.Info.IsSoftware)
        {
            Assert.Equal(Device.Cpu, auto.Device);
            Assert.Contains("software GPU", auto.Reason);
        }
        else
        {
            Assert.Equal(Device.Cuda, auto.Device);
            Assert.Contains(device.Gpu.Info.Name, auto.Reason);
        }
    }

    [Fact]
    public void AHalfMovedModelIsReportedByTheFirstParameterElsewhere()
    {
        using var setup = new TinyTwoTaskSetup();
        using var model = setup.NewModel();
        Assert.Equal(Device.Cpu, model.DeviceOf());
        model.Classifier.Weight.MoveTo(Device.Cuda);
        var error = Assert.Throws<InvalidOperationException>(() => model.DeviceOf());
        Assert.StartsWith("parameter 'classifier.weight' is on Cuda, the ones before it on Cpu", error.Message);
        model.To(Device.Cuda);
        Assert.Equal(Device.Cuda, model.DeviceOf());
    }

    [Fact]
    public void TheAdditiveMaskIsMadeOnTheMasksDeviceInFloat32()
    {
        using var scope = Tensor.Scope();
        var padding = Tensor.FromArray(new float[] { 1, 1, 0, 1, 0, 0 }, [2, 3], device: Device.Cuda);
        var additive = AttentionMask.ToAdditive(padding, DType.Float32);
        Assert.Equal(Device.Cuda, additive.Device);
        Assert.Equal(DType.Float32, additive.DType);
        Assert.Equal(new[] { 0f, 0f, float.MinValue, 0f, float.MinValue, float.MinValue }, additive.ToArray<float>());
        device.AssertNoSanitizerFindings();
    }
}
