// The fused epilogues of the fp32-output GEMMs (a header: included, not compiled alone): what a
// GEMM does to each output element after x = alpha·(op(A)·op(B))[m, n] + beta·C[m, n].
//
//   EPILOGUE_NONE             x
//   EPILOGUE_BIAS             x + bias[n]
//   EPILOGUE_BIAS_GELU        GELU(x + bias[n])                  a linear layer and BERT's activation
//   EPILOGUE_GELU_DERIVATIVE  x · GELU′(aux[m, n])               the backward of GELU then a linear
//                                                                layer: dz = (dy·W) ⊙ GELU′(z)
//
// aux is laid out like C (the same ldc and batch stride), so the caller passes the address of the
// element at C's position. The launchers require beta = 0 with EPILOGUE_GELU_DERIVATIVE: the factor
// multiplies the product alone, and a beta·C inside it would have no use in the backward pass.

#pragma once

#include "gelu.cuh"

#define EPILOGUE_NONE 0
#define EPILOGUE_BIAS 1
#define EPILOGUE_BIAS_GELU 2
#define EPILOGUE_GELU_DERIVATIVE 3

// x finished for column n; bias and *aux are read only by the epilogues that use them.
__device__ __forceinline__ float gemm_epilogue(float x, int epilogue, const float* bias, int n, const float* aux)
{
    if (epilogue == EPILOGUE_BIAS || epilogue == EPILOGUE_BIAS_GELU) x += bias[n];
    if (epilogue == EPILOGUE_BIAS_GELU) x = gelu_erf(x);
    if (epilogue == EPILOGUE_GELU_DERIVATIVE) x *= gelu_erf_derivative(*aux);
    return x;
}
