using CudaBert.Kernels.Device;

namespace CudaBert.Course;

/// <summary>
/// One kernel of a progression: its place in the course, its source, and how to launch it on the
/// device buffers of a problem (<typeparamref name="TProblem"/>, the same for every step of a family).
/// The backend's kernel closes each progression (<see cref="Backend"/>); <see cref="Tf32"/> marks the
/// tensor-core steps, whose products are rounded to tf32 and which are compared with the backend's
/// tensor-core kernel.
/// </summary>
public sealed record CourseStep<TProblem>(int Number, string Name, string Source, Action<ICudaDevice, TProblem> Launch,
    bool Backend = false, bool Tf32 = false)
{
    public override string ToString() => $"{Number} {Name}";
}
