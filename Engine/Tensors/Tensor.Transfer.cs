namespace CudaBert.Engine;

// Moving data between devices: host ↔ GPU copies go through a host buffer.
public sealed partial class Tensor
{
    /// <summary>A copy on <paramref name="device"/> (not recorded by autograd; a new tensor even when the device is the same).</summary>
    public Tensor To(Device device)
    {
        var result = Empty(Shape, DType, device);
        CopyAcross(this, result);
        return result;
    }

    /// <summary>
    /// Moves this tensor's contents to <paramref name="device"/> in place, as PyTorch's
    /// <c>module.to(device)</c> does for parameters: the tensor object stays (modules keep
    /// referring to it), its storage is replaced. Only for a leaf without a gradient (a freshly made
    /// parameter); views made earlier keep the old memory.
    /// </summary>
    public void MoveTo(Device device)
    {
        if (Device == device) return;
        if (!IsLeaf || Grad is not null)
            throw new InvalidOperationException($"MoveTo({device}): only a leaf tensor without a gradient can move in place, not {this}");
        var bytes = new byte[ByteLength];
        Backend.CopyToHost(this, bytes);
        var old = Storage;
        storage = Backends.Backend.For(device).Allocate(ByteLength);
        Backend.CopyFromHost(bytes, this);
        old.Release();
    }

    private static void CopyAcross(Tensor source, Tensor destination)
    {
        if (source.Device == destination.Device) { source.Backend.Copy(source, destination); return; }
        var bytes = new byte[source.ByteLength];
        source.Backend.CopyToHost(source, bytes);
        destination.Backend.CopyFromHost(bytes, destination);
    }
}
