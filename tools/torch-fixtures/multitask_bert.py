#!/usr/bin/python3
"""Writes Tests/CudaBert.Tests/Fixtures/torch/multitask_bert.safetensors: a tiny multi-task BERT
(2 layers, hidden 32, 4 heads) computed by PyTorch, for Tests/CudaBert.Tests/Bert.

The model is Hugging Face's BERT written out in plain PyTorch (Debian's python3-torch has no
`transformers`), with the same parameter names and the same arithmetic: embeddings (word with
padding_idx, absolute position, token type) -> LayerNorm; per layer, self-attention with the additive
mask (1 - mask) * finfo.min -> dense -> residual -> LayerNorm, dense -> GELU(erf) -> dense -> residual
-> LayerNorm. Task A: masked mean pooling (padding excluded) -> `classifier`; task B:
`token_classifier` on every token. Loss = wA * CE(sentence) + wB * CE(tokens, ignore_index=-100).
Dropout is off (its masks cannot match across implementations), everything is float64.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 tools/torch-fixtures/multitask_bert.py

Layout (all F64 except the I64 batch tensors):
  <parameter name>          every parameter before training, under its Hugging Face name
                            (bert.embeddings.word_embeddings.weight, ..., token_classifier.bias)
  batch/input_ids, batch/attention_mask, batch/token_type_ids       [B, S]
  batch/sentence_labels [B], batch/token_labels [B, S] (-100 on [CLS], [SEP], padding, one sub-word)
  out/sentence_logits [B, A], out/token_logits [B, S, T]
  out/sentence_loss, out/token_loss, out/loss                       scalars (before any step)
  grad/<parameter name>     d loss / d parameter at the initial parameters
  step<t>/loss              the loss computed before optimizer step t (t = 1, 2, 3)
  after3/<parameter name>   the parameters after 3 AdamW steps
The metadata entry "config" holds the BERT config, label counts, loss weights and the two parameter
groups (name, lr, weight_decay and their parameter names).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

from safetensors_writer import save

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "..", "Tests", "CudaBert.Tests", "Fixtures", "torch", "multitask_bert.safetensors")

CONFIG = {
    "vocab_size": 34, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
    "intermediate_size": 48, "max_position_embeddings": 10, "type_vocab_size": 2,
    "layer_norm_eps": 1e-12, "hidden_act": "gelu", "pad_token_id": 0,
    "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "model_type": "bert",
}
SENTENCE_LABELS, TOKEN_LABELS = 3, 5
LOSS_WEIGHTS = {"sentence": 0.7, "token": 1.3}
BETAS, EPS, STEPS = (0.9, 0.999), 1e-8, 3
GROUPS = [("encoder", 1e-2, 0.01), ("heads", 3e-2, 0.0)]
IGNORE = -100


def parameter_shapes() -> dict[str, tuple[int, ...]]:
    """Every parameter of the multi-task model with its shape, in Hugging Face's naming."""
    c = CONFIG
    h, i = c["hidden_size"], c["intermediate_size"]
    shapes = {
        "bert.embeddings.word_embeddings.weight": (c["vocab_size"], h),
        "bert.embeddings.position_embeddings.weight": (c["max_position_embeddings"], h),
        "bert.embeddings.token_type_embeddings.weight": (c["type_vocab_size"], h),
        "bert.embeddings.LayerNorm.weight": (h,),
        "bert.embeddings.LayerNorm.bias": (h,),
    }
    for layer in range(c["num_hidden_layers"]):
        p = f"bert.encoder.layer.{layer}."
        for name in ("query", "key", "value"):
            shapes[p + f"attention.self.{name}.weight"] = (h, h)
            shapes[p + f"attention.self.{name}.bias"] = (h,)
        shapes[p + "attention.output.dense.weight"] = (h, h)
        shapes[p + "attention.output.dense.bias"] = (h,)
        shapes[p + "attention.output.LayerNorm.weight"] = (h,)
        shapes[p + "attention.output.LayerNorm.bias"] = (h,)
        shapes[p + "intermediate.dense.weight"] = (i, h)
        shapes[p + "intermediate.dense.bias"] = (i,)
        shapes[p + "output.dense.weight"] = (h, i)
        shapes[p + "output.dense.bias"] = (h,)
        shapes[p + "output.LayerNorm.weight"] = (h,)
        shapes[p + "output.LayerNorm.bias"] = (h,)
    shapes["classifier.weight"] = (SENTENCE_LABELS, h)
    shapes["classifier.bias"] = (SENTENCE_LABELS,)
    shapes["token_classifier.weight"] = (TOKEN_LABELS, h)
    shapes["token_classifier.bias"] = (TOKEN_LABELS,)
    return shapes


def initial_parameters(rng: torch.Generator) -> dict[str, torch.Tensor]:
    """Random values larger than BERT's init (std 0.02), so every path carries a clear signal."""
    params = {}
    for name, shape in parameter_shapes().items():
        values = torch.randn(*shape, generator=rng, dtype=torch.float64)
        if name.endswith("LayerNorm.weight"):
            values = 1 + 0.1 * values
        elif name.endswith("bias"):
            values = 0.1 * values
        elif "embeddings" in name:
            values = 0.5 * values
        else:
            values = values / math.sqrt(shape[1])
        if name == "bert.embeddings.word_embeddings.weight":
            values[CONFIG["pad_token_id"]] = 0  # nn.Embedding(padding_idx=...) starts that row at 0
        params[name] = values.requires_grad_(True)
    return params


def batch() -> dict[str, torch.Tensor]:
    """Three sequences of lengths 8, 5 and 3 (a pair in the first), padded to 8 with id 0."""
    input_ids = torch.tensor([
        [1, 7, 12, 25, 2, 9, 30, 2],
        [1, 18, 5, 31, 2, 0, 0, 0],
        [1, 27, 2, 0, 0, 0, 0, 0],
    ])
    attention_mask = (input_ids != 0).long()
    token_type_ids = torch.tensor([
        [0, 0, 0, 0, 0, 1, 1, 1],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
    ])
    # -100 on [CLS] (1), [SEP] (2), padding, and the second piece of a split word (row 0, position 3).
    token_labels = torch.tensor([
        [IGNORE, 3, 1, IGNORE, IGNORE, 4, 0, IGNORE],
        [IGNORE, 2, 0, 1, IGNORE, IGNORE, IGNORE, IGNORE],
        [IGNORE, 4, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
    ])
    sentence_labels = torch.tensor([2, 0, 1])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
            "sentence_labels": sentence_labels, "token_labels": token_labels}


def layer_norm(x, p, name):
    return F.layer_norm(x, x.shape[-1:], p[name + ".weight"], p[name + ".bias"], CONFIG["layer_norm_eps"])


def linear(x, p, name):
    return F.linear(x, p[name + ".weight"], p[name + ".bias"])


def forward(p, b):
    """Both tasks' logits, as Hugging Face's BERT (eval mode) plus the two heads compute them."""
    c = CONFIG
    ids, mask, types = b["input_ids"], b["attention_mask"], b["token_type_ids"]
    batch_size, seq = ids.shape
    positions = torch.arange(seq).expand(batch_size, seq)
    x = (F.embedding(ids, p["bert.embeddings.word_embeddings.weight"], padding_idx=c["pad_token_id"])
         + F.embedding(positions, p["bert.embeddings.position_embeddings.weight"])
         + F.embedding(types, p["bert.embeddings.token_type_embeddings.weight"]))
    x = layer_norm(x, p, "bert.embeddings.LayerNorm")

    heads = c["num_attention_heads"]
    d = c["hidden_size"] // heads
    additive = (1.0 - mask[:, None, None, :].to(torch.float64)) * torch.finfo(torch.float64).min
    for layer in range(c["num_hidden_layers"]):
        pre = f"bert.encoder.layer.{layer}."

        def split(t):
            return t.view(batch_size, seq, heads, d).permute(0, 2, 1, 3)

        q = split(linear(x, p, pre + "attention.self.query"))
        k = split(linear(x, p, pre + "attention.self.key"))
        v = split(linear(x, p, pre + "attention.self.value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive
        context = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(batch_size, seq, -1)
        x = layer_norm(linear(context, p, pre + "attention.output.dense") + x, p, pre + "attention.output.LayerNorm")
        inner = F.gelu(linear(x, p, pre + "intermediate.dense"))
        x = layer_norm(linear(inner, p, pre + "output.dense") + x, p, pre + "output.LayerNorm")

    weights = mask.unsqueeze(-1).to(torch.float64)
    pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return linear(pooled, p, "classifier"), linear(x, p, "token_classifier")


def losses(p, b):
    sentence_logits, token_logits = forward(p, b)
    sentence = F.cross_entropy(sentence_logits, b["sentence_labels"], ignore_index=IGNORE)
    token = F.cross_entropy(token_logits.reshape(-1, TOKEN_LABELS), b["token_labels"].reshape(-1), ignore_index=IGNORE)
    total = LOSS_WEIGHTS["sentence"] * sentence + LOSS_WEIGHTS["token"] * token
    return sentence_logits, token_logits, sentence, token, total


def main() -> None:
    torch.set_num_threads(1)
    rng = torch.Generator().manual_seed(20240605)
    params = initial_parameters(rng)
    b = batch()
    tensors: dict[str, torch.Tensor] = {name: value.detach().clone() for name, value in params.items()}
    for name, value in b.items():
        tensors["batch/" + name] = value

    sentence_logits, token_logits, sentence, token, total = losses(params, b)
    grads = torch.autograd.grad(total, list(params.values()))
    tensors.update({"out/sentence_logits": sentence_logits, "out/token_logits": token_logits,
                    "out/sentence_loss": sentence, "out/token_loss": token, "out/loss": total})
    for name, grad in zip(params, grads):
        tensors["grad/" + name] = grad

    groups = [{"name": name, "lr": lr, "weight_decay": decay,
               "params": [n for n in params if n.startswith("bert.") == (name == "encoder")]}
              for name, lr, decay in GROUPS]
    optimizer = torch.optim.AdamW(
        [{"params": [params[n] for n in g["params"]], "lr": g["lr"], "weight_decay": g["weight_decay"]} for g in groups],
        betas=BETAS, eps=EPS)
    for step in range(1, STEPS + 1):
        optimizer.zero_grad(set_to_none=True)
        loss = losses(params, b)[4]
        loss.backward()
        optimizer.step()
        tensors[f"step{step}/loss"] = loss.detach()
    for name, value in params.items():
        tensors[f"after{STEPS}/" + name] = value.detach().clone()

    config = {"bert": CONFIG, "num_sentence_labels": SENTENCE_LABELS, "num_token_labels": TOKEN_LABELS,
              "loss_weights": LOSS_WEIGHTS, "betas": list(BETAS), "eps": EPS, "steps": STEPS, "groups": groups}
    metadata = {"generator": "tools/torch-fixtures/multitask_bert.py", "torch": torch.__version__,
                "config": json.dumps(config, sort_keys=True)}
    size = save(os.path.normpath(OUT), tensors, metadata)
    print(f"wrote {os.path.normpath(OUT)} ({size} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
