#!/usr/bin/python3
"""Checks a `cudabert export --format onnx` file with the official onnx package: the full model check
and strict shape inference with type checks, then prints the inferred output shapes and the labels.

Needs Debian's python3-onnx (or pip's onnx). Usage:
  /usr/bin/python3 tools/export-check/check_onnx_export.py model.onnx
"""
import sys

import onnx
from onnx import shape_inference


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    print(f"{path}: valid, IR {model.ir_version}, opsets {[(o.domain or 'ai.onnx', o.version) for o in model.opset_import]}, "
          f"{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers")
    for value in list(inferred.graph.input) + list(inferred.graph.output):
        dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        print(f"  {value.name}: {onnx.TensorProto.DataType.Name(value.type.tensor_type.elem_type)} {dims}")
    for entry in model.metadata_props:
        print(f"  {entry.key}: {entry.value}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
