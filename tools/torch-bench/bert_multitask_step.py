#!/usr/bin/env python3
"""PyTorch reference for `cudabert bench train`: the same BERT-base multi-task training step.

Model: transformers' BertModel from a default BertConfig (bert-base: 12 layers, hidden 768, 12 heads,
intermediate 3072, vocabulary 30522, dropout 0.1, GELU-erf, post-LN), random init, no pooler; dropout
then a sentence head (Linear 768 -> 7) on masked mean pooling of the last hidden states and a token head
(Linear 768 -> 72) on every position: Model/Bert/MultiTaskBert.cs, as multitask_model.py builds it.
Loss: cross-entropy of both (token labels -100 on padding), summed. Gradient clipping at norm 1.
Optimizer: torch.optim.AdamW over the trainer's groups (no decay on biases and LayerNorm; encoder 5e-5,
heads 1e-3, weight decay 0.01; PyTorch's default implementation).
TF32 is enabled for matmuls and cuDNN. Eager mode (no torch.compile). With --amp bf16 the forward and the
losses run under torch.autocast(dtype=torch.bfloat16) (PyTorch's mixed precision: bf16 matmuls with fp32
master weights and optimizer; no loss scaling, which bf16 does not need): the counterpart of
`cudabert bench train --precision bf16`.

Data: B sequences of S tokens, random ids, random lengths in [S/2, S] (the rest is padding), random
labels: the same recipe as Cli/Commands/Bench/TrainBenchmark.cs (not the same numbers; speed does not
depend on them).

Timing: each step on the wall clock between two torch.cuda.synchronize() calls, median of --steps
steps after --warmup untimed ones. Peak memory: torch.cuda.max_memory_allocated() over warm-up and
timed steps (parameters and optimizer state included), the counterpart of the allocator's peak
bytes in use in cudabert.

Prints a human line and one machine-readable line:
  RESULT impl=pytorch-<attention>[-amp-bf16] step_ms=... seqs_per_s=... peak_mib=...
Run on the GPU machine (it has PyTorch and transformers):  python3 tools/torch-bench/bert_multitask_step.py
"""
import argparse
import statistics
import time

import torch
from transformers import BertConfig

from multitask_model import MultiTaskBert, parameter_groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--attention", choices=["sdpa", "eager"], default="sdpa",
                        help="transformers' attention implementation: sdpa (its default, fused kernels) or eager (matmul, softmax, matmul)")
    parser.add_argument("--amp", choices=["off", "bf16"], default="off",
                        help="bf16: autocast the forward and the losses to bfloat16 (mixed precision)")
    args = parser.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(7)
    device = torch.device("cuda")
    sentence_classes, token_classes = 7, 72

    config = BertConfig()
    config._attn_implementation = args.attention   # the attribute transformers reads (>= 4.36); the line below reports what was used
    model = MultiTaskBert(config, sentence_classes, token_classes).to(device).train()
    attention = getattr(model.bert.config, "_attn_implementation", "eager")
    optimizer = torch.optim.AdamW(parameter_groups(model, encoder_lr=5e-5, head_lr=1e-3))

    b, s = args.batch, args.seq
    lengths = torch.randint(s // 2, s + 1, (b,))
    padding = (torch.arange(s).unsqueeze(0) < lengths.unsqueeze(1)).long().to(device)
    ids = torch.randint(0, config.vocab_size, (b, s), device=device)
    sentence_labels = torch.randint(0, sentence_classes, (b,), device=device)
    token_labels = torch.randint(0, token_classes, (b, s), device=device).masked_fill(padding == 0, -100)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.amp == "bf16"):
            sentence, tokens = model(ids, padding)
            loss = torch.nn.functional.cross_entropy(sentence, sentence_labels) + \
                torch.nn.functional.cross_entropy(tokens.reshape(-1, token_classes), token_labels.reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    torch.cuda.reset_peak_memory_stats()
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    peak_mib = torch.cuda.max_memory_allocated() // (1 << 20)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}, {parameters:,} parameters, attention {attention}, amp {args.amp}: "
          f"B={b}, S={s}: {median:.1f} ms (median of {args.steps}), {b / (median / 1000):.1f} sequences/s, peak {peak_mib} MiB")
    impl = f"pytorch-{attention}" + ("-amp-bf16" if args.amp == "bf16" else "")
    print(f"RESULT impl={impl} step_ms={median:.3f} seqs_per_s={b / (median / 1000):.2f} peak_mib={peak_mib}")


if __name__ == "__main__":
    main()
