#!/usr/bin/env python3
"""Loads a `cudabert export --format hf` folder with Hugging Face transformers and compares its logits
with ours (reference_logits.json, written by the export beside the two folders).

What it checks:
  - AutoTokenizer, from the exported tokenizer files, gives the token ids our tokenizer gave;
  - AutoModelForTokenClassification loads token-classification/ as a BertForTokenClassification with
    every weight found, and its logits match our token logits on the real (unpadded) positions;
  - AutoModel loads encoder/ as a BertModel (add_pooling_layer=False: the export has no pooler), and
    masked mean pooling + sentence_head.safetensors gives our sentence logits;
  - the label maps in config.json and sentence_head.json.
Both runtimes compute in float32; a difference above RELATIVE_BOUND of the largest logit fails.

Needs torch, transformers and safetensors (pip install torch transformers safetensors). Usage:
  cudabert export --model OUT/checkpoint --format hf --out exported
  python3 tools/export-check/check_hf_export.py exported
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

RELATIVE_BOUND = 1e-4


def compare(name, ours, theirs, keep=None):
    """Largest |ours - theirs| over the kept entries, relative to the largest |ours|; fails above the bound."""
    difference = (ours - theirs).abs()
    scale = ours.abs()
    if keep is not None:
        difference, scale = difference[keep], scale[keep]
    worst, largest = difference.max().item(), scale.max().item()
    ok = worst <= RELATIVE_BOUND * largest
    print(f"{name}: max |difference| {worst:.3e} = {worst / largest:.2e} of the largest logit {largest:.4g}: {'ok' if ok else 'TOO LARGE'}")
    return ok


def main(root):
    reference = json.loads((root / "reference_logits.json").read_text())
    ids = torch.tensor(reference["input_ids"])
    mask = torch.tensor(reference["attention_mask"])
    types = torch.tensor(reference["token_type_ids"])
    ok = True

    tokens_folder, encoder_folder = root / "token-classification", root / "encoder"
    tokenizer = AutoTokenizer.from_pretrained(tokens_folder)
    encoded = tokenizer(reference["texts"], padding=True, return_tensors="pt")
    same_ids = torch.equal(encoded["input_ids"], ids) and torch.equal(encoded["attention_mask"], mask)
    print(f"tokenizer ({type(tokenizer).__name__}): {'same ids' if same_ids else 'DIFFERENT ids'}")
    ok &= same_ids

    token_model, info = AutoModelForTokenClassification.from_pretrained(tokens_folder, output_loading_info=True)
    token_model.eval()
    print(f"{tokens_folder.name}: {type(token_model).__name__}, missing {info['missing_keys']}, unexpected {info['unexpected_keys']}")
    ok &= type(token_model).__name__ == "BertForTokenClassification" and not info["missing_keys"] and not info["unexpected_keys"]
    with torch.no_grad():
        token_logits = token_model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    ok &= compare("token_logits", torch.tensor(reference["token_logits"]), token_logits, keep=mask.bool())

    encoder, info = AutoModel.from_pretrained(encoder_folder, add_pooling_layer=False, output_loading_info=True)
    encoder.eval()
    print(f"{encoder_folder.name}: {type(encoder).__name__}, missing {info['missing_keys']}, unexpected {info['unexpected_keys']}")
    ok &= type(encoder).__name__ == "BertModel" and not info["missing_keys"] and not info["unexpected_keys"]
    head = load_file(encoder_folder / "sentence_head.safetensors")
    description = json.loads((encoder_folder / "sentence_head.json").read_text())
    with torch.no_grad():
        hidden = encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=description["min_token_count"])
        sentence_logits = pooled @ head["weight"].T + head["bias"]
    ok &= compare("sentence_logits", torch.tensor(reference["sentence_logits"]), sentence_logits)

    token_labels = token_model.config.id2label
    sentence_labels = description["id2label"]
    print(f"labels: {len(sentence_labels)} sentence, {len(token_labels)} token")
    for row, text in enumerate(reference["texts"]):
        intent = sentence_labels[str(sentence_logits[row].argmax().item())]
        tags = [token_labels[token_logits[row, position].argmax().item()] for position in range(int(mask[row].sum()))]
        print(f"  {text!r}: {intent}, tags {' '.join(tags)}")

    print("export loads in transformers and matches" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
