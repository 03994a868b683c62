// CPU twin: Engine/Cpu/CpuBackend.Optimizer.cs
// Tests: Tests/CudaBert.Tests/BertKernels/OptimizerKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// One AdamW step over a flat float32 buffer of n parameters (all parameters of a group can live in
// one buffer, so the whole update is one launch), as torch.optim.AdamW (single-tensor path):
//
//   g ← g · grad_scale                          (optional: global-norm clipping factor, device scalar)
//   θ ← θ · (1 − lr·λ)                          decoupled weight decay
//   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//   θ ← θ − step_size · m / (√v / bias_correction2_sqrt + ε)
//
// with step_size = lr / (1 − β1ᵗ) and bias_correction2_sqrt = √(1 − β2ᵗ), computed by the launcher
// in double. Each operation is rounded separately in the order above (__fmul_rn / __fadd_rn forbid
// the compiler from fusing a multiply and an add into an FMA; sqrtf and '/' are IEEE-exact under
// NVRTC's defaults), so the result is bit-identical to the CPU backend's float loop.
//
// Thread-to-data mapping: a grid-stride loop; thread g updates elements g, g + G, ... (G = threads in
// the grid): θ, m, v and g are each read once and θ, m, v written once, coalesced.

extern "C" __global__ void adamw_step_f32(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                                          long long n, float decay, float beta1, float one_minus_beta1,
                                          float beta2, float one_minus_beta2, float step_size,
                                          float bias_correction2_sqrt, float eps, const float* grad_scale)
{
    float scale = grad_scale ? *grad_scale : 1.0f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float g = grad_scale ? __fmul_rn(grad[i], scale) : grad[i];
        float p = __fmul_rn(param[i], decay);
        float m = __fadd_rn(__fmul_rn(exp_avg[i], beta1), __fmul_rn(one_minus_beta1, g));
        float v = __fadd_rn(__fmul_rn(exp_avg_sq[i], beta2), __fmul_rn(__fmul_rn(one_minus_beta2, g), g));
        float denominator = __fadd_rn(sqrtf(v) / bias_correction2_sqrt, eps);
        param[i] = __fsub_rn(p, __fmul_rn(step_size, m / denominator));
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
    }
}
