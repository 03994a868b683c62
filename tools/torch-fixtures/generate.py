#!/usr/bin/python3
"""Writes the PyTorch reference fixtures that Tests/CudaBert.Tests/TorchFixtures compares our engine with.

llm.c-style: PyTorch computes each op's forward and backward on small seeded random inputs, and the
inputs, outputs and gradients are stored as safetensors; CI only reads the committed files.

Run it with Debian's PyTorch (apt-get install python3-torch libopenblas0-pthread), which lives in
/usr/bin/python3, from the repository root:

    /usr/bin/python3 tools/torch-fixtures/generate.py

Layout of every op file `<op>.safetensors`: several cases, each a prefix `<case>/`, holding
  <case>/<input>        every input (float inputs in the case's dtype, indices as I64),
  <case>/out            the forward result,
  <case>/grad_out       the upstream gradient fed to backward (random; 1 for a scalar output),
  <case>/grad_<input>   d(sum(out * grad_out)) / d(input) for every differentiable input.
The metadata holds, for each case, `case/<case>` = a JSON object with its dtype ("f64" or "f32"),
the list of differentiable inputs ("wrt") and the op's parameters (eps, scale, flags, ...).
"""

import argparse
import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

from safetensors_writer import save

DTYPES = {"f64": torch.float64, "f32": torch.float32}
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "Tests", "CudaBert.Tests", "Fixtures", "torch")


class FixtureFile:
    """Collects the cases of one op and writes them as `<op>.safetensors`."""

    def __init__(self, op: str):
        self.op = op
        # Each file has its own seed, so adding a case to one op never changes another op's data.
        self.rng = torch.Generator().manual_seed(zlib.crc32(op.encode()))
        self.tensors: dict[str, torch.Tensor] = {}
        self.metadata: dict[str, str] = {
            "op": op,
            "generator": "tools/torch-fixtures/generate.py",
            "torch": torch.__version__,
        }

    def randn(self, *shape: int, scale: float = 1.0, shift: float = 0.0) -> torch.Tensor:
        """Normal(shift, scale^2) samples in float64; a case casts them to its dtype."""
        return torch.randn(*shape, generator=self.rng, dtype=torch.float64) * scale + shift

    def add_case(self, case: str, dtype: str, inputs: dict[str, torch.Tensor], forward,
                 wrt: list[str], **params) -> None:
        """Runs forward(**inputs) and its backward in `dtype` and stores everything under `case/`."""
        leaves = {}
        for name, value in inputs.items():
            if value.is_floating_point():
                value = value.to(DTYPES[dtype])
            leaves[name] = value.clone().requires_grad_(name in wrt)

        out = forward(**leaves)
        if out.dim() == 0:
            grad_out = torch.ones((), dtype=out.dtype)
        else:
            grad_out = self.randn(*out.shape).to(out.dtype)
        grads = torch.autograd.grad(out, [leaves[name] for name in wrt], grad_out)

        for name, value in leaves.items():
            self.tensors[f"{case}/{name}"] = value
        self.tensors[f"{case}/out"] = out
        self.tensors[f"{case}/grad_out"] = grad_out
        for name, grad in zip(wrt, grads):
            self.tensors[f"{case}/grad_{name}"] = grad
        self.metadata[f"case/{case}"] = json.dumps({"dtype": dtype, "wrt": wrt, **params},
                                                   sort_keys=True)

    def write(self, folder: str) -> int:
        return save(os.path.join(folder, f"{self.op}.safetensors"), self.tensors, self.metadata)


# ---------------------------------------------------------------------------------------------
# One function per op. Shapes are small (the files stay a few KB) but not degenerate: every
# dimension differs from the others, so a transposed or mis-strided implementation cannot pass.
# ---------------------------------------------------------------------------------------------

def linear() -> FixtureFile:
    """out = x · weightᵀ + bias, weight [out_features, in_features] as torch.nn.Linear stores it."""
    f = FixtureFile("linear")
    for dtype in DTYPES:
        f.add_case(f"{dtype}_3d", dtype,
                   {"x": f.randn(2, 5, 16), "weight": f.randn(12, 16, scale=0.2), "bias": f.randn(12)},
                   lambda x, weight, bias: F.linear(x, weight, bias), ["x", "weight", "bias"])
        f.add_case(f"{dtype}_2d_nobias", dtype,
                   {"x": f.randn(7, 9), "weight": f.randn(4, 9, scale=0.3)},
                   lambda x, weight: F.linear(x, weight), ["x", "weight"])
    return f


def matmul() -> FixtureFile:
    """out[b] = op(a[b]) · op(b[b]) with op = transpose when the flag is set (the GEMM form)."""
    f = FixtureFile("matmul")
    batch, m, k, n = 3, 4, 5, 6
    for dtype in DTYPES:
        for trans_a in (False, True):
            for trans_b in (False, True):
                a = f.randn(batch, k, m) if trans_a else f.randn(batch, m, k)
                b = f.randn(batch, n, k) if trans_b else f.randn(batch, k, n)

                def forward(a, b, trans_a=trans_a, trans_b=trans_b):
                    return torch.matmul(a.transpose(-1, -2) if trans_a else a,
                                        b.transpose(-1, -2) if trans_b else b)

                flags = ("t" if trans_a else "n") + ("t" if trans_b else "n")
                f.add_case(f"{dtype}_{flags}", dtype, {"a": a, "b": b}, forward, ["a", "b"],
                           trans_a=trans_a, trans_b=trans_b)
    # Attention's two products in [batch, heads, seq, head_dim] layout, with a long inner dimension.
    for dtype in DTYPES:
        f.add_case(f"{dtype}_4d_scores_nt", dtype,
                   {"a": f.randn(2, 2, 5, 16), "b": f.randn(2, 2, 5, 16)},
                   lambda a, b: torch.matmul(a, b.transpose(-1, -2)), ["a", "b"],
                   trans_a=False, trans_b=True)
        f.add_case(f"{dtype}_4d_context_nn", dtype,
                   {"a": f.randn(2, 2, 5, 5), "b": f.randn(2, 2, 5, 16)},
                   lambda a, b: torch.matmul(a, b), ["a", "b"], trans_a=False, trans_b=False)
    # One matrix b shared by every batch of a (a linear layer's weight): b's gradient sums the batches.
    for dtype in DTYPES:
        f.add_case(f"{dtype}_shared_b", dtype, {"a": f.randn(2, 3, 4), "b": f.randn(4, 5)},
                   lambda a, b: torch.matmul(a, b), ["a", "b"], trans_a=False, trans_b=False)
    return f


def elementwise() -> list[FixtureFile]:
    """add, sub, mul of equal shapes; scale by a constant; bias add; residual add."""
    files = []
    binary = {"add": torch.add, "sub": torch.sub, "mul": torch.mul}
    for op, fn in binary.items():
        f = FixtureFile(op)
        for dtype in DTYPES:
            f.add_case(dtype, dtype, {"a": f.randn(3, 7), "b": f.randn(3, 7)},
                       lambda a, b, fn=fn: fn(a, b), ["a", "b"])
        files.append(f)

    f = FixtureFile("scale")
    for dtype in DTYPES:
        for label, s in (("eighth", 0.125), ("negative", -1.7)):
            f.add_case(f"{dtype}_{label}", dtype, {"x": f.randn(3, 7)},
                       lambda x, s=s: x * s, ["x"], scale=s)
    files.append(f)

    f = FixtureFile("bias_add")
    for dtype in DTYPES:
        f.add_case(dtype, dtype, {"x": f.randn(2, 3, 7), "bias": f.randn(7)},
                   lambda x, bias: x + bias, ["x", "bias"])
    files.append(f)

    f = FixtureFile("residual_add")
    for dtype in DTYPES:
        f.add_case(dtype, dtype, {"x": f.randn(2, 3, 7), "residual": f.randn(2, 3, 7)},
                   lambda x, residual: x + residual, ["x", "residual"])
    files.append(f)
    return files


def activations() -> list[FixtureFile]:
    """GELU (exact erf form, as BERT; and the tanh approximation) and tanh, on [-6, 6]-ish inputs."""
    files = []
    for op, fn in (("gelu_erf", lambda x: F.gelu(x)),
                   ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
                   ("tanh", torch.tanh)):
        f = FixtureFile(op)
        for dtype in DTYPES:
            f.add_case(dtype, dtype, {"x": f.randn(4, 9, scale=2.0)}, fn, ["x"])
        files.append(f)
    return files


def attention_mask(lengths: list[int], seq: int) -> torch.Tensor:
    """1 for real tokens, 0 for padding at the end, as a tokenizer's attention_mask (I64)."""
    return torch.tensor([[1 if s < n else 0 for s in range(seq)] for n in lengths], dtype=torch.int64)


def masked_softmax() -> FixtureFile:
    """probs = softmax(scores · scale + additive_mask[b, None, None, :], last axis).

    scores [batch, heads, query, key]; the additive mask is BERT's extended mask, 0 for real keys
    and -10000 for padding. exp(-10000 + x) underflows to exactly 0 in float32 and float64, so any
    large negative constant (or -inf with at least one real key) gives the same probabilities.
    Both the 0/1 `attention_mask` and the float `additive_mask` [batch, key] are stored.
    """
    f = FixtureFile("masked_softmax")
    batch, heads, seq, head_dim = 3, 2, 6, 8
    scale = 1.0 / math.sqrt(head_dim)
    mask = attention_mask([6, 4, 1], seq)
    additive = torch.where(mask == 1, 0.0, -10000.0).to(torch.float64)
    for dtype in DTYPES:

        def forward(scores, additive_mask, attention_mask):
            return torch.softmax(scores * scale + additive_mask[:, None, None, :], dim=-1)

        f.add_case(dtype, dtype,
                   {"scores": f.randn(batch, heads, seq, seq, scale=3.0), "additive_mask": additive,
                    "attention_mask": mask},
                   forward, ["scores"], scale=scale)
    return f


def layer_norm() -> FixtureFile:
    """y = (x - mean) / sqrt(var + eps) · weight + bias over the last axis (biased variance)."""
    f = FixtureFile("layer_norm")
    hidden = 16
    for dtype in DTYPES:
        for eps in (1e-12, 1e-5):
            f.add_case(f"{dtype}_eps{eps:g}", dtype,
                       {"x": f.randn(2, 5, hidden, scale=2.0, shift=3.0),
                        "weight": f.randn(hidden, scale=0.1, shift=1.0), "bias": f.randn(hidden, scale=0.1)},
                       lambda x, weight, bias, eps=eps: F.layer_norm(x, (hidden,), weight, bias, eps),
                       ["x", "weight", "bias"], eps=eps)
    # A hidden size that is no multiple of any SIMD width (2·16 + 5), so vector loops need their tails.
    odd = 37
    for dtype in DTYPES:
        f.add_case(f"{dtype}_hidden{odd}", dtype,
                   {"x": f.randn(3, odd, scale=2.0, shift=-1.0),
                    "weight": f.randn(odd, scale=0.1, shift=1.0), "bias": f.randn(odd, scale=0.1)},
                   lambda x, weight, bias: F.layer_norm(x, (odd,), weight, bias, 1e-12),
                   ["x", "weight", "bias"], eps=1e-12)
    return f


def embedding() -> FixtureFile:
    """out[b, s] = weight[ids[b, s]]; ids repeat, so the backward must accumulate (scatter-add),
    and some rows are never used, so their gradient must stay exactly 0."""
    f = FixtureFile("embedding")
    ids = torch.tensor([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 0]], dtype=torch.int64)
    for dtype in DTYPES:
        f.add_case(dtype, dtype, {"ids": ids, "weight": f.randn(11, 8)},
                   lambda ids, weight: F.embedding(ids, weight), ["weight"])
    return f


def mean_pooling() -> FixtureFile:
    """sentence-transformers' pooling: Σ_s h·mask / clamp(Σ_s mask, min=1e-9), per batch row.

    The `allpad` case has a row with no real token: its output is 0 and so is its gradient.
    """
    f = FixtureFile("mean_pooling")

    def forward(hidden, attention_mask):
        m = attention_mask.unsqueeze(-1).expand(hidden.size()).to(hidden.dtype)
        return torch.sum(hidden * m, 1) / torch.clamp(m.sum(1), min=1e-9)

    for dtype in DTYPES:
        f.add_case(dtype, dtype, {"hidden": f.randn(3, 5, 8), "attention_mask": attention_mask([5, 3, 1], 5)},
                   forward, ["hidden"], eps=1e-9)
        f.add_case(f"{dtype}_allpad", dtype,
                   {"hidden": f.randn(2, 4, 8), "attention_mask": attention_mask([2, 0], 4)},
                   forward, ["hidden"], eps=1e-9)
    return f


def cross_entropy() -> FixtureFile:
    """Mean cross-entropy over the targets that are not ignore_index (-100).

    With class weights PyTorch divides by the sum of the weights of the counted targets
    (Σ w[y_i]·loss_i / Σ w[y_i]), not by their number.
    """
    f = FixtureFile("cross_entropy")
    targets = torch.tensor([2, -100, 0, 4, 4, 1, -100, 3], dtype=torch.int64)
    for dtype in DTYPES:
        f.add_case(dtype, dtype, {"logits": f.randn(8, 5, scale=2.0), "targets": targets},
                   lambda logits, targets: F.cross_entropy(logits, targets, ignore_index=-100),
                   ["logits"], ignore_index=-100)
        f.add_case(f"{dtype}_weighted", dtype,
                   {"logits": f.randn(8, 5, scale=2.0), "targets": targets,
                    "class_weights": torch.tensor([0.5, 2.0, 1.0, 0.25, 3.0], dtype=torch.float64)},
                   lambda logits, targets, class_weights:
                       F.cross_entropy(logits, targets, weight=class_weights, ignore_index=-100),
                   ["logits"], ignore_index=-100)
    # Token classification: logits [batch, seq, classes], padding positions labelled -100.
    token_targets = torch.tensor([[1, 3, 0, -100], [2, 2, -100, -100]], dtype=torch.int64)
    for dtype in DTYPES:
        f.add_case(f"{dtype}_tokens", dtype, {"logits": f.randn(2, 4, 5, scale=2.0), "targets": token_targets},
                   lambda logits, targets: F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1), ignore_index=-100),
                   ["logits"], ignore_index=-100)
    return f


def reductions() -> list[FixtureFile]:
    """sum and mean over all elements (a scalar) and over the last axis (keepdim=False)."""
    files = []
    for op, fn in (("sum", torch.sum), ("mean", torch.mean)):
        f = FixtureFile(op)
        for dtype in DTYPES:
            f.add_case(f"{dtype}_all", dtype, {"x": f.randn(3, 4, 5)}, lambda x, fn=fn: fn(x), ["x"])
            f.add_case(f"{dtype}_last_axis", dtype, {"x": f.randn(3, 4, 5)},
                       lambda x, fn=fn: fn(x, dim=-1), ["x"], axis=-1)
        files.append(f)
    return files


def heads() -> list[FixtureFile]:
    """Attention's head split [B, S, H·D] -> [B, H, S, D] and its inverse merge."""
    batch, seq, num_heads, head_dim = 2, 3, 4, 5
    split = FixtureFile("head_split")
    merge = FixtureFile("head_merge")
    for dtype in DTYPES:
        split.add_case(dtype, dtype, {"x": split.randn(batch, seq, num_heads * head_dim)},
                       lambda x: x.view(batch, seq, num_heads, head_dim).permute(0, 2, 1, 3).contiguous(),
                       ["x"], num_heads=num_heads)
        merge.add_case(dtype, dtype, {"x": merge.randn(batch, num_heads, seq, head_dim)},
                       lambda x: x.permute(0, 2, 1, 3).reshape(batch, seq, num_heads * head_dim),
                       ["x"], num_heads=num_heads)
    return [split, merge]


# ---------------------------------------------------------------------------------------------
# AdamW: 5 steps of torch.optim.AdamW on a tiny model with a deterministic loss.
# ---------------------------------------------------------------------------------------------

ADAMW = {
    "betas": (0.9, 0.999),
    "eps": 1e-6,
    "max_grad_norm": 0.5,
    "warmup_steps": 2,
    "total_steps": 6,
    "steps": 5,
    # (group name, lr, weight decay): weights decay, biases and LayerNorm parameters do not.
    "groups": [("decay", 1e-2, 0.1), ("no_decay", 3e-2, 0.0)],
}


def linear_schedule_with_warmup(step: int) -> float:
    """Hugging Face's get_linear_schedule_with_warmup factor: 0 → 1 over the warmup, then → 0.
    Note that the first optimizer step runs with factor 0 (lr = 0): only the moments move."""
    warmup, total = ADAMW["warmup_steps"], ADAMW["total_steps"]
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def adamw() -> FixtureFile:
    """Model: logits = classifier(tanh(LayerNorm(dense(x)))), loss = cross_entropy(logits, y).

    Stored, under `<dtype>/`: `x`, `y`, `initial/<param>`, and for t = 1..5
      step<t>/loss, step<t>/grad/<param> (before clipping), step<t>/grad_norm (total, before
      clipping), step<t>/lr/<group> (the lr this step used), step<t>/param/<param> (after the step).
    `frozen.weight` sits in the decay group with requires_grad=False: AdamW must leave it as is.
    """
    f = FixtureFile("adamw")
    names = {"decay": ["dense.weight", "classifier.weight", "frozen.weight"],
             "no_decay": ["dense.bias", "LayerNorm.weight", "LayerNorm.bias", "classifier.bias"]}
    for dtype, torch_dtype in DTYPES.items():
        x = f.randn(6, 5).to(torch_dtype)
        y = torch.tensor([0, 2, 1, -100, 2, 0], dtype=torch.int64)
        init = {
            "dense.weight": f.randn(4, 5, scale=0.5), "dense.bias": f.randn(4, scale=0.1),
            "LayerNorm.weight": f.randn(4, scale=0.1, shift=1.0), "LayerNorm.bias": f.randn(4, scale=0.1),
            "classifier.weight": f.randn(3, 4, scale=0.5), "classifier.bias": f.randn(3, scale=0.1),
            "frozen.weight": f.randn(3),
        }
        params = {name: value.to(torch_dtype).requires_grad_(name != "frozen.weight") for name, value in init.items()}

        def loss_fn():
            h = F.linear(x, params["dense.weight"], params["dense.bias"])
            h = torch.tanh(F.layer_norm(h, (4,), params["LayerNorm.weight"], params["LayerNorm.bias"], 1e-12))
            logits = F.linear(h, params["classifier.weight"], params["classifier.bias"])
            return F.cross_entropy(logits, y, ignore_index=-100)

        groups = [{"params": [params[n] for n in names[g]], "lr": lr, "weight_decay": wd}
                  for g, lr, wd in ADAMW["groups"]]
        optimizer = torch.optim.AdamW(groups, betas=ADAMW["betas"], eps=ADAMW["eps"])
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule_with_warmup)
        trainable = [p for p in params.values() if p.requires_grad]

        prefix = f"{dtype}/"
        f.tensors[prefix + "x"] = x
        f.tensors[prefix + "y"] = y
        for name, p in params.items():
            f.tensors[f"{prefix}initial/{name}"] = p.detach().clone()
        for t in range(1, ADAMW["steps"] + 1):
            step = f"{prefix}step{t}/"
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            f.tensors[step + "loss"] = loss.detach().clone()
            for name in params:
                if params[name].grad is not None:
                    f.tensors[f"{step}grad/{name}"] = params[name].grad.detach().clone()
            norm = torch.nn.utils.clip_grad_norm_(trainable, ADAMW["max_grad_norm"])
            if norm <= ADAMW["max_grad_norm"]:
                raise RuntimeError(f"adamw step {t}: grad norm {norm} does not exceed max_grad_norm; raise it")
            f.tensors[step + "grad_norm"] = norm.detach().clone()
            for (g, _, _), group in zip(ADAMW["groups"], optimizer.param_groups):
                f.tensors[f"{step}lr/{g}"] = torch.tensor(group["lr"], dtype=torch.float64)
            optimizer.step()
            scheduler.step()
            for name, p in params.items():
                f.tensors[f"{step}param/{name}"] = p.detach().clone()

    f.metadata["config"] = json.dumps({
        "betas": list(ADAMW["betas"]), "eps": ADAMW["eps"], "max_grad_norm": ADAMW["max_grad_norm"],
        "warmup_steps": ADAMW["warmup_steps"], "total_steps": ADAMW["total_steps"], "steps": ADAMW["steps"],
        "groups": [{"name": g, "lr": lr, "weight_decay": wd, "params": names[g]} for g, lr, wd in ADAMW["groups"]],
        "frozen": ["frozen.weight"], "layer_norm_eps": 1e-12, "ignore_index": -100,
        "clip_eps": 1e-6,  # clip_grad_norm_ scales by max_norm / (total_norm + 1e-6)
    }, sort_keys=True)
    return f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder for the .safetensors files")
    args = parser.parse_args()

    # One thread: reductions then sum in a fixed order, so reruns reproduce the files bit for bit.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    files = [linear(), matmul(), *elementwise(), *activations(), masked_softmax(), layer_norm(),
             embedding(), mean_pooling(), cross_entropy(), *reductions(), *heads(), adamw()]
    total = 0
    for fixture in files:
        size = fixture.write(args.out)
        total += size
        print(f"{fixture.op:>16}: {size:7d} bytes")
    print(f"{'total':>16}: {total:7d} bytes in {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
