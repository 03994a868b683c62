namespace CudaBert.Engine.Nn;

/// <summary>
/// Where a model's parameters live, and moving them, as PyTorch's <c>model.to(device)</c>: each
/// parameter keeps its identity (modules, optimizers and checkpoints keep referring to it), only its
/// memory moves (<see cref="Tensor.MoveTo"/>). Inputs must then be made on the same device.
/// </summary>
public static class ModuleDevice
{
    /// <summary>
    /// Moves every parameter of <paramref name="module"/> to <paramref name="device"/> and returns the
    /// module. Before any backward pass (or after the gradients were dropped): a parameter that holds a
    /// gradient cannot move in place.
    /// </summary>
    public static T To<T>(this T module, Device device) where T : Module
    {
        foreach (var parameter in module.Parameters()) parameter.MoveTo(device);
        return module;
    }

    /// <summary>The device of the module's parameters; an error names the first one elsewhere (a half-moved model).</summary>
    public static Device DeviceOf(this Module module)
    {
        Device? device = null;
        foreach (var (name, parameter) in module.NamedParameters())
        {
            device ??= parameter.Device;
            if (parameter.Device != device)
                throw new InvalidOperationException($"parameter '{name}' is on {parameter.Device}, the ones before it on {device}: move the whole model with To(device)");
        }
        return device ?? Device.Cpu;
    }
}
