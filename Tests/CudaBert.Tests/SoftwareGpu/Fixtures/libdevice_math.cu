// Test fixture for the software GPU (not a shipped kernel): the CUDA math library functions the
// BERT kernels are likely to call, compiled by NVRTC into the instruction mix libdevice really uses
// (fma.rm/.rz, cvt.rmi/.rzi/.rni, ex2/lg2/rcp/rsqrt.approx, f64 conversions, and for sinf/cosf of
// large arguments the Payne-Hanek reduction with local memory). Regenerate: ./regenerate.sh
// y[i * 12 + k] = function k of x[i].
extern "C" __global__ void libdevice_math(const float* x, float* y, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float* out = y + 12 * i;
    out[0] = erff(v);
    out[1] = expf(v);
    out[2] = logf(fabsf(v) + 1.0f);
    out[3] = tanhf(v);
    out[4] = rsqrtf(fabsf(v) + 1e-5f);
    out[5] = sqrtf(fabsf(v));
    out[6] = sinf(v);
    out[7] = cosf(v);
    out[8] = powf(fabsf(v) + 1.0f, 1.5f);
    out[9] = (float)__float2int_rn(v * 100.0f);
    out[10] = __expf(v);
    out[11] = roundf(v) + floorf(v);
}
