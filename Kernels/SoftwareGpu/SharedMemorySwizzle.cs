namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Hopper's shared-memory swizzle (PTX ISA 8.4, "Shared Memory Matrix Layout", swizzling modes), the one
/// layout that the tensor copy writes and wgmma's descriptors read. With a W-byte swizzle (W = 32, 64 or
/// 128) the 16-byte-chunk bits of an address, bits 4 .. 4 + log2(W/16) − 1, are XORed with as many bits
/// from bit 7 up. For 128-byte rows and W = 128 that is: chunk c of row r is stored at chunk c XOR (r mod 8).
/// It acts on absolute shared addresses, so a swizzled buffer starts on an 8·W-byte boundary to have the
/// pattern's first row first.
/// </summary>
internal static class SharedMemorySwizzle
{
    /// <summary>Where a <paramref name="spanBytes"/>-byte swizzle (32, 64, 128; 0: none) puts the bytes a dense layout has at <paramref name="address"/>.</summary>
    public static ulong Apply(ulong address, int spanBytes) =>
        spanBytes == 0 ? address : address ^ (((address >> 7) & (ulong)(spanBytes / 16 - 1)) << 4);
}
