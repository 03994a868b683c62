#!/usr/bin/env python3
"""PyTorch reference for `cudabert train` throughput: one epoch of multi-task fine-tuning on SNIPS.

What it does, matching `cudabert train --data SNIPS --epochs 1 --max-length 50 --length-bucketing true`:
- data: SNIPS train (JointBERT folder: seq.in, seq.out, label), words split on spaces;
- tokens: Hugging Face's tokenizers library on the folder's tokenizer.json, words pre-split, truncated
  to 50 tokens with [CLS] and [SEP]; each word's tag on its first sub-token, -100 elsewhere;
- batches: 32 examples; shuffled, then sorted by length inside windows of 50 batches (length
  bucketing), each batch padded to its longest example (dynamic padding);
- model: transformers' BertModel from the folder's config.json (MiniLM: 6 layers, hidden 384), its
  weights as given (random ones are as fast), no pooler; a sentence head (Linear) on masked mean pooling
  and a token head (Linear) on every position, dropout 0.1 before each head;
- step: cross-entropy of both heads summed, backward, gradient clipping at norm 1, AdamW over the
  trainer's groups (encoder 1e-4, heads 2e-3: `cudabert train`'s defaults; weight decay 0.01 except
  biases and LayerNorm weights) with linear warmup (10 %) and decay;
- precision: fp32; `--tf32` allows TF32 matmuls (as `cudabert train --tf32`).

Timing: wall clock from the end of the first step (module loads and kernel selection out of the
number) to the end of the last, with torch.cuda.synchronize() at both ends; examples/s over the
steps in between. Prints a human line and:
  RESULT impl=pytorch-<attention>[-tf32] steps=... seconds=... examples_per_s=...
Run on the GPU machine:  python3 tools/torch-bench/snips_epoch.py --data DIR/snips --model DIR/minilm
"""
import argparse
import os
import random
import time

import torch
from tokenizers import Tokenizer
from transformers import BertConfig

from multitask_model import MultiTaskBert, parameter_groups


def read_split(folder):
    def lines(name):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    words = [line.split() for line in lines("seq.in")]
    tags = [line.split() for line in lines("seq.out")]
    intents = lines("label")
    return words, tags, intents


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="JointBERT SNIPS folder (with train/)")
    parser.add_argument("--model", required=True, help="folder with config.json, tokenizer.json and optionally model.safetensors")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=50)
    parser.add_argument("--attention", choices=["sdpa", "eager"], default="sdpa")
    parser.add_argument("--tf32", action="store_true")
    parser.add_argument("--compile", action="store_true",
                        help='torch.compile(mode="reduce-overhead"): CUDA graphs per batch shape (compile time counts in the epoch)')
    args = parser.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(42)
    random.seed(42)
    device = torch.device("cuda")

    words, tags, intents = read_split(os.path.join(args.data, "train"))
    intent_ids = {label: i for i, label in enumerate(sorted(set(intents)))}
    tag_ids = {label: i for i, label in enumerate(sorted({t for sentence in tags for t in sentence}))}
    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=args.max_length)
    examples = []
    for i, encoding in enumerate(tokenizer.encode_batch(words, is_pretokenized=True)):
        labels, previous = [], None
        for word in encoding.word_ids:
            labels.append(-100 if word is None or word == previous else tag_ids[tags[i][word]])
            previous = word
        examples.append((encoding.ids, intent_ids[intents[i]], labels))

    order = list(range(len(examples)))
    random.shuffle(order)
    window = args.batch * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(examples[i][0]))
        batches += [chunk[b:b + args.batch] for b in range(0, len(chunk), args.batch)]
    random.shuffle(batches)

    def collate(batch):
        longest = max(len(examples[i][0]) for i in batch)
        ids = torch.zeros(len(batch), longest, dtype=torch.long)
        padding = torch.zeros(len(batch), longest, dtype=torch.long)
        token_labels = torch.full((len(batch), longest), -100, dtype=torch.long)
        for row, i in enumerate(batch):
            tokens, _, labels = examples[i]
            ids[row, :len(tokens)] = torch.tensor(tokens)
            padding[row, :len(tokens)] = 1
            token_labels[row, :len(tokens)] = torch.tensor(labels)
        sentence_labels = torch.tensor([examples[i][1] for i in batch])
        return (ids.to(device, non_blocking=True), padding.to(device, non_blocking=True),
                sentence_labels.to(device, non_blocking=True), token_labels.to(device, non_blocking=True))

    config = BertConfig.from_pretrained(args.model)
    config._attn_implementation = args.attention
    model = MultiTaskBert(config, len(intent_ids), len(tag_ids))
    weights = os.path.join(args.model, "model.safetensors")
    if os.path.exists(weights):
        from safetensors.torch import load_file
        model.bert.load_state_dict(load_file(weights), strict=False)
    model.to(device).train()
    optimizer = torch.optim.AdamW(parameter_groups(model, encoder_lr=1e-4, head_lr=2e-3))
    forward = torch.compile(model, mode="reduce-overhead") if args.compile else model
    total = len(batches)
    warmup = int(0.1 * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: step / max(1, warmup) if step < warmup else max(0.0, (total - step) / max(1, total - warmup)))

    def step(batch):
        ids, padding, sentence_labels, token_labels = collate(batch)
        sentence, tokens = forward(ids, padding)
        loss = torch.nn.functional.cross_entropy(sentence, sentence_labels) + \
            torch.nn.functional.cross_entropy(tokens.reshape(-1, tokens.shape[-1]), token_labels.reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    step(batches[0])
    torch.cuda.synchronize()
    start = time.perf_counter()
    examples_timed = 0
    for batch in batches[1:]:
        loss = step(batch)
        examples_timed += len(batch)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    attention = getattr(model.bert.config, "_attn_implementation", "eager")
    impl = f"pytorch-{attention}" + ("-tf32" if args.tf32 else "") + ("-compiled" if args.compile else "")
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}, attention {attention}, tf32 {args.tf32}, compiled {args.compile}: "
          f"{total - 1} steps ({examples_timed} examples) in {seconds:.2f} s, {examples_timed / seconds:.1f} examples/s, last loss {loss.item():.4f}")
    print(f"RESULT impl={impl} steps={total - 1} seconds={seconds:.3f} examples_per_s={examples_timed / seconds:.2f}")


if __name__ == "__main__":
    main()
