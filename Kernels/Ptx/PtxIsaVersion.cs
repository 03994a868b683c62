using System.Globalization;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Ptx;

/// <summary>
/// The PTX ISA version of a module: its <c>.version</c> directive (NVRTC 12.4 writes <c>.version 8.4</c>).
/// A driver JIT-compiles PTX only up to the ISA version of the CUDA release it belongs to, so the
/// version tells which driver a module needs. Checking it before loading turns the driver's terse
/// CUDA_ERROR_UNSUPPORTED_PTX_VERSION ("the provided PTX was compiled with an unsupported toolchain")
/// into a message that says what to install.
/// </summary>
public readonly record struct PtxIsaVersion(int Major, int Minor)
{
    /// <summary>
    /// First CUDA release of each PTX ISA version, in cuDriverGetVersion units (1000 * major + 10 * minor).
    /// From the release history in NVIDIA's PTX ISA manual. Note 8.6 came with CUDA 12.7, not 12.6
    /// (12.5 and 12.6 both use 8.5).
    /// </summary>
    static readonly Dictionary<(int, int), int> FirstCudaRelease = new()
    {
        [(6, 0)] = 9000, [(6, 1)] = 9010, [(6, 2)] = 9020, [(6, 3)] = 10000, [(6, 4)] = 10010, [(6, 5)] = 10020,
        [(7, 0)] = 11000, [(7, 1)] = 11010, [(7, 2)] = 11020, [(7, 3)] = 11030, [(7, 4)] = 11040,
        [(7, 5)] = 11050, [(7, 6)] = 11060, [(7, 7)] = 11070, [(7, 8)] = 11080,
        [(8, 0)] = 12000, [(8, 1)] = 12010, [(8, 2)] = 12020, [(8, 3)] = 12030, [(8, 4)] = 12040,
        [(8, 5)] = 12050, [(8, 6)] = 12070, [(8, 7)] = 12080, [(8, 8)] = 12090,
        [(9, 0)] = 13000, [(9, 1)] = 13010,
    };

    /// <summary>
    /// The oldest Linux driver branch of each CUDA release (the "R" number: R550 is every 550.x driver),
    /// from the minimum-driver table of NVIDIA's CUDA toolkit release notes. A PTX module needs a driver
    /// of its CUDA release's branch or newer: minor-version compatibility does not extend to PTX JIT.
    /// </summary>
    static readonly Dictionary<int, int> FirstLinuxDriverBranch = new()
    {
        [11000] = 450, [11010] = 455, [11020] = 460, [11030] = 465, [11040] = 470, [11050] = 495,
        [11060] = 510, [11070] = 515, [11080] = 520,
        [12000] = 525, [12010] = 530, [12020] = 535, [12030] = 545, [12040] = 550, [12050] = 555,
        [12060] = 560, [12080] = 570, [12090] = 575,
        [13000] = 580,
    };

    /// <summary>Reads the <c>.version</c> directive of a PTX module; <paramref name="moduleName"/> names it in errors.</summary>
    public static PtxIsaVersion Parse(string ptx, string moduleName)
    {
        int lineNumber = 0;
        foreach (var rawLine in ptx.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (!line.StartsWith(".version"))
                continue;
            var number = line[".version".Length..].Trim();
            int dot = number.IndexOf('.');
            if (dot > 0
                && int.TryParse(number[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
                && int.TryParse(number[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
                return new PtxIsaVersion(major, minor);
            throw new FormatException($"PTX module '{moduleName}', line {lineNumber}: expected '.version MAJOR.MINOR', found '{line}'.");
        }
        throw new FormatException($"PTX module '{moduleName}' has no '.version' directive: is it PTX text?");
    }

    /// <summary>
    /// The oldest CUDA driver that can JIT-compile this ISA version, in cuDriverGetVersion units
    /// (11080 = CUDA 11.8). Unknown (newer) versions throw: we would not know what to ask for.
    /// </summary>
    public int MinimumDriverVersion =>
        FirstCudaRelease.TryGetValue((Major, Minor), out int version)
            ? version
            : throw new NotSupportedException($"PTX ISA {this} is not in the table of known versions (6.0 to 9.1).");

    /// <summary>
    /// Throws a <see cref="CudaException"/> (CUDA_ERROR_UNSUPPORTED_PTX_VERSION) that says which driver
    /// is needed when <paramref name="driverVersion"/> (cuDriverGetVersion) is too old for this module.
    /// </summary>
    public void EnsureDriverCanLoad(int driverVersion, string moduleName)
    {
        if (driverVersion >= MinimumDriverVersion)
            return;
        throw new CudaException("cuModuleLoadDataEx", UnsupportedPtxVersionError, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", detail:
            $"PTX module '{moduleName}' is PTX ISA {this}, which needs a driver for CUDA {FormatCudaVersion(MinimumDriverVersion)}{LinuxBranchText} or newer; " +
            $"the installed NVIDIA driver supports CUDA {FormatCudaVersion(driverVersion)} (cuDriverGetVersion = {driverVersion}). " +
            "Update the NVIDIA driver.");
    }

    /// <summary>", R550" after "CUDA 12.4": the Linux driver branch, where the release is in the table.</summary>
    string LinuxBranchText =>
        FirstLinuxDriverBranch.TryGetValue(MinimumDriverVersion, out int branch)
            ? string.Create(CultureInfo.InvariantCulture, $", R{branch}")
            : "";

    /// <summary>The driver's code for "PTX compiled with an unsupported toolchain".</summary>
    public const int UnsupportedPtxVersionError = 222;

    /// <summary>12040 → "12.4".</summary>
    public static string FormatCudaVersion(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 1000}.{version % 1000 / 10}");

    /// <summary>The version as PTX writes it after <c>.version</c>, e.g. "8.5".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");
}
