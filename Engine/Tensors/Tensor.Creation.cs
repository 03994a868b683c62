using System.Runtime.InteropServices;
using CudaBert.Engine.Random;

namespace CudaBert.Engine;

// Creating tensors from values, and reading them back.
public sealed partial class Tensor
{
    /// <summary>A float32 tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/> (row-major; lengths must match).</summary>
    public static Tensor FromArray(float[] data, Shape shape, bool requiresGrad = false, Device device = Device.Cpu) =>
        FromSpan<float>(data, shape, requiresGrad, device);

    /// <summary>A float64 tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/> (row-major; float64 is CPU only).</summary>
    public static Tensor FromArray(double[] data, Shape shape, bool requiresGrad = false, Device device = Device.Cpu) =>
        FromSpan<double>(data, shape, requiresGrad, device);

    /// <summary>An int32 tensor (ids, labels) of <paramref name="shape"/> holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(int[] data, Shape shape, Device device = Device.Cpu) =>
        FromSpan<int>(data, shape, false, device);

    /// <summary>An int64 tensor (ids, labels) of <paramref name="shape"/> holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, Shape shape, Device device = Device.Cpu) =>
        FromSpan<long>(data, shape, false, device);

    /// <summary>A bfloat16 tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/> (convert floats with <see cref="BFloat16.FromSingle"/>, or use <c>FromArray(floats).To(DType.BFloat16)</c>).</summary>
    public static Tensor FromArray(BFloat16[] data, Shape shape, Device device = Device.Cpu) =>
        FromSpan<BFloat16>(data, shape, false, device);

    /// <summary>A float16 tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(Half[] data, Shape shape, Device device = Device.Cpu) =>
        FromSpan<Half>(data, shape, false, device);

    /// <summary>Copies <paramref name="data"/> (row-major) into a new tensor of <paramref name="shape"/>.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, Shape shape, bool requiresGrad = false, Device device = Device.Cpu)
        where T : unmanaged
    {
        if (data.Length != shape.NumElements)
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {shape} ({shape.NumElements} elements)");
        var tensor = Empty(shape, DTypes.Of<T>(), device);
        tensor.Backend.CopyFromHost(MemoryMarshal.AsBytes(data), tensor);
        tensor.RequiresGrad = requiresGrad;
        return tensor;
    }

    /// <summary>
    /// Overwrites the contents in place (e.g. loading weights into a parameter) from row-major
    /// values of this tensor's dtype and element count. Not recorded by autograd.
    /// </summary>
    public void CopyFrom<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw new ArgumentException($"CopyFrom: {typeof(T).Name} values into a {DType} tensor {Shape}");
        if (data.Length != NumElements)
            throw new ArgumentException($"CopyFrom: {data.Length} values into a tensor of shape {Shape} ({NumElements} elements)");
        DropBFloat16Copy();
        Backend.CopyFromHost(MemoryMarshal.AsBytes(data), this);
    }

    /// <summary>Overwrites the contents in place with those of <paramref name="source"/> (same shape and dtype, any device).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Shape != Shape || source.DType != DType)
            throw new ArgumentException($"CopyFrom: source {source.Shape} {source.DType} into {Shape} {DType}");
        DropBFloat16Copy();
        if (source.Device == Device) Backend.Copy(source, this);
        else
        {
            var staging = new byte[ByteLength];
            source.Backend.CopyToHost(source, staging);
            Backend.CopyFromHost(staging, this);
        }
    }

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device device = Device.Cpu) =>
        Full([], value, dtype, device);

    /// <summary>A new tensor of <paramref name="shape"/> filled with 0.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32, Device device = Device.Cpu) => Full(shape, 0, dtype, device);

    /// <summary>A new tensor of <paramref name="shape"/> filled with 1.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32, Device device = Device.Cpu) => Full(shape, 1, dtype, device);

    /// <summary>A new tensor of <paramref name="shape"/> with every element <paramref name="value"/> (converted to <paramref name="dtype"/>).</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32, Device device = Device.Cpu)
    {
        var tensor = Empty(shape, dtype, device);
        tensor.Backend.Fill(tensor, value);
        return tensor;
    }

    /// <summary>Samples of N(<paramref name="mean"/>, <paramref name="std"/>²) drawn from <paramref name="generator"/>.</summary>
    public static Tensor Normal(Shape shape, Generator generator, double mean = 0, double std = 1, DType dtype = DType.Float32, Device device = Device.Cpu)
    {
        var values = new double[shape.NumElements];
        generator.FillNormal(values, mean, std);
        return FromDoubles(values, shape, dtype, device);
    }

    /// <summary>Samples of U[<paramref name="low"/>, <paramref name="high"/>) drawn from <paramref name="generator"/>.</summary>
    public static Tensor Uniform(Shape shape, Generator generator, double low = 0, double high = 1, DType dtype = DType.Float32, Device device = Device.Cpu)
    {
        var values = new double[shape.NumElements];
        generator.FillUniform(values, low, high);
        return FromDoubles(values, shape, dtype, device);
    }

    private static Tensor FromDoubles(double[] values, Shape shape, DType dtype, Device device) => dtype switch
    {
        DType.Float64 => FromSpan<double>(values, shape, false, device),
        DType.Float32 => FromSpan<float>(Array.ConvertAll(values, v => (float)v), shape, false, device),
        DType.BFloat16 => FromSpan<BFloat16>(Array.ConvertAll(values, BFloat16.FromDouble), shape, false, device),
        DType.Float16 => FromSpan<Half>(Array.ConvertAll(values, v => (Half)v), shape, false, device),
        _ => throw new ArgumentException($"random values need a floating-point dtype, not {dtype}"),
    };

    /// <summary>Copies the contents to a new array; <typeparamref name="T"/> must match <see cref="DType"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {DType} tensor {Shape}; convert with To(DType) first");
        var result = new T[NumElements];
        Backend.CopyToHost(this, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>The contents as float32 (converting from any dtype; exact from BFloat16 and Float16).</summary>
    public float[] ToFloatArray() => DType switch
    {
        DType.Float32 => ToArray<float>(),
        DType.BFloat16 => Array.ConvertAll(ToArray<BFloat16>(), v => v.ToSingle()),
        DType.Float16 => Array.ConvertAll(ToArray<Half>(), v => (float)v),
        _ => Array.ConvertAll(ToDoubleArray(), v => (float)v),
    };

    /// <summary>The contents as float64 (converting from any dtype).</summary>
    public double[] ToDoubleArray() => DType switch
    {
        DType.Float64 => ToArray<double>(),
        DType.Float32 => Array.ConvertAll(ToArray<float>(), v => (double)v),
        DType.Int32 => Array.ConvertAll(ToArray<int>(), v => (double)v),
        DType.Int64 => Array.ConvertAll(ToArray<long>(), v => (double)v),
        DType.BFloat16 => Array.ConvertAll(ToArray<BFloat16>(), v => (double)v.ToSingle()),
        DType.Float16 => Array.ConvertAll(ToArray<Half>(), v => (double)v),
        _ => throw new NotSupportedException(DType.ToString()),
    };

    /// <summary>The single value of a one-element tensor.</summary>
    public double Item()
    {
        if (NumElements != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, not {Shape}");
        return ToDoubleArray()[0];
    }

    /// <summary>A copy converted to <paramref name="dtype"/> (not recorded by autograd).</summary>
    public Tensor To(DType dtype)
    {
        var result = Empty(Shape, dtype, Device);
        Backend.Cast(this, result);
        return result;
    }

    /// <summary>A copy on <paramref name="device"/> (through host memory; not recorded by autograd).</summary>
    public Tensor To(Device device)
    {
        var result = Empty(Shape, DType, device);
        result.CopyFrom(this);
        return result;
    }

    /// <summary>A copy with the same shape and dtype (not recorded by autograd).</summary>
    public Tensor Clone()
    {
        var result = Empty(Shape, DType, Device);
        Backend.Copy(this, result);
        return result;
    }

    /// <summary>The host memory of a CPU tensor. For CPU kernels and tests.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw new InvalidOperationException($"AsSpan<{typeof(T).Name}> on a {DType} tensor {Shape}");
        if (Storage is not Memory.CpuStorage cpu)
            throw new InvalidOperationException($"AsSpan on a {Device} tensor {Shape}: only CPU memory is addressable from the host");
        return cpu.AsSpan<T>(NumElements);
    }
}
