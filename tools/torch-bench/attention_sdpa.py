#!/usr/bin/env python3
"""PyTorch reference for the S = 512 fused attention rows of `cudabert bench kernels`.

Shape: B = 32, 12 heads, S = 512, head size 64, dropout 0.1, no mask, scale 1/8. Q, K, V and dO are laid out
as cudabert keeps them, [B, S, H·d] (each head a strided [B, H, S, d] view, last axis contiguous).
Kernels: torch.nn.functional.scaled_dot_product_attention restricted to one backend with
torch.nn.attention.sdpa_kernel:
  flash-bf16      FLASH_ATTENTION on bfloat16 tensors (FlashAttention-2, PyTorch's fastest here)
  efficient-fp32  EFFICIENT_ATTENTION on float32 tensors (flash has no fp32 kernel), TF32 matmuls allowed
Timing: CUDA events around one call (forward), or around torch.autograd.grad of one forward's output
(backward alone: the forward is run and synchronised before the events), median of --repeats after
--warmup. FLOP/s count the products only, as cudabert does: forward 4·B·H·S²·d, backward twice that.

Prints one machine-readable line per kernel and pass:
  RESULT impl=pytorch-sdpa-<kernel> pass=<forward|backward> ms=... tflops=...
Run on the GPU machine (it has PyTorch):  python3 tools/torch-bench/attention_sdpa.py
"""
import argparse
import statistics

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def median_ms(work, warmup, repeats, before=None):
    times = []
    for i in range(warmup + repeats):
        if before is not None:
            before()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        work()
        end.record()
        torch.cuda.synchronize()
        if i >= warmup:
            times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--head-size", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(7)
    b, s, h, d = args.batch, args.seq, args.heads, args.head_size
    forward_flops = 4.0 * b * h * s * s * d

    for name, backend, dtype in [("flash-bf16", SDPBackend.FLASH_ATTENTION, torch.bfloat16),
                                 ("efficient-fp32", SDPBackend.EFFICIENT_ATTENTION, torch.float32)]:
        def tensor(grad):
            x = torch.rand(b, s, h * d, device="cuda", dtype=dtype) * 2 - 1
            return x.view(b, s, h, d).transpose(1, 2).requires_grad_(grad)
        q, k, v, dout = tensor(True), tensor(True), tensor(True), tensor(False)
        state = {}

        def forward():
            state["out"] = F.scaled_dot_product_attention(q, k, v, dropout_p=args.dropout, scale=1.0 / d ** 0.5)

        def backward():
            torch.autograd.grad(state["out"], (q, k, v), dout)

        with sdpa_kernel(backend):
            forward_ms = median_ms(forward, args.warmup, args.repeats)
            backward_ms = median_ms(backward, args.warmup, args.repeats, before=forward)
        for pass_name, ms, flops in [("forward", forward_ms, forward_flops), ("backward", backward_ms, 2 * forward_flops)]:
            tflops = flops / (ms * 1e9)
            print(f"sdpa {name} {pass_name}: {ms:.3f} ms, {tflops:.1f} TFLOP/s at [{b}, {s}, {h}·{d}], p = {args.dropout}")
            print(f"RESULT impl=pytorch-sdpa-{name} pass={pass_name} ms={ms:.4f} tflops={tflops:.2f}")


if __name__ == "__main__":
    main()
