namespace CudaBert.Engine;

// Moving a parameter to another device in place (To(Device) makes a copy instead).
public sealed partial class Tensor
{
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
        DropBFloat16Copy();
        var old = Storage;
        storage = Backends.Backend.For(device).Allocate(ByteLength);
        Backend.CopyFromHost(bytes, this);
        old.Release();
    }
}
