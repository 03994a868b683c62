// GELU in its exact form (BERT's, with the Gauss error function) and its derivative: the one
// definition every kernel uses (a header: included, not compiled alone), so that the GEMM epilogues
// and the element-wise activation kernels compute the same bits.
//
//   GELU(x) = x·Φ(x),           Φ(x) = ½(1 + erf(x/√2)), the normal distribution function
//   GELU′(x) = Φ(x) + x·φ(x),   φ(x) = exp(−x²/2)/√(2π), the normal density
//
// erff and expf are CUDA's full-precision versions (erff within 2 ulp of the exact value, expf
// within 2 ulp), not the fast intrinsics. |GELU′(x)| ≤ 1.13 for every x (its maximum, at x = √2).

#pragma once

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

__device__ __forceinline__ float normal_cdf(float x) { return 0.5f * (1.0f + erff(x * INV_SQRT2)); }

__device__ __forceinline__ float gelu_erf(float x) { return x * 0.5f * (1.0f + erff(x * INV_SQRT2)); }

__device__ __forceinline__ float gelu_erf_derivative(float x) { return normal_cdf(x) + x * INV_SQRT_2PI * expf(-0.5f * x * x); }
