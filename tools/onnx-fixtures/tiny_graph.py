#!/usr/bin/python3
"""Writes a tiny ONNX model with the official onnx package, plus the values it holds, for the C# reader tests.

The model exercises each storage form the C# protobuf reader must decode, as the official
serializer writes them: a FLOAT initializer in float_data (packed), one in raw_data, an INT64
initializer in int64_data (packed), dims (unpacked varints), a Constant node whose tensor
attribute holds a scalar, int and ints attributes, and typed graph inputs/outputs with a symbolic
dimension. Its shape mimics a PyTorch Linear export: MatMul(x, W[in, out]) then Add(bias, ·), W anonymous.

Needs Debian's python3-onnx. Usage (from the repository root):
  /usr/bin/python3 tools/onnx-fixtures/tiny_graph.py Tests/CudaBert.Tests/Fixtures/onnx
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(folder):
    rng = np.random.default_rng(20261126)
    weight = rng.standard_normal((3, 2)).astype(np.float32)      # [in, out], anonymous, float_data
    bias = rng.standard_normal(2).astype(np.float32)             # raw_data
    embedding = rng.standard_normal((4, 3)).astype(np.float32)   # raw_data, used by Gather
    shape = np.array([1, -1], dtype=np.int64)                    # int64_data

    initializers = [
        helper.make_tensor("17", TensorProto.FLOAT, weight.shape, weight.reshape(-1).tolist(), raw=False),
        numpy_helper.from_array(bias, "layer.dense.bias"),
        numpy_helper.from_array(embedding, "emb.weight"),
        helper.make_tensor("shape_const", TensorProto.INT64, shape.shape, shape.tolist(), raw=False),
    ]
    nodes = [
        helper.make_node("Gather", ["emb.weight", "ids"], ["e"], name="Gather_0", axis=0),
        helper.make_node("MatMul", ["e", "17"], ["m"], name="MatMul_1"),
        helper.make_node("Add", ["layer.dense.bias", "m"], ["y"], name="Add_2"),
        helper.make_node("Reshape", ["y", "shape_const"], ["z"], name="Reshape_3"),
        helper.make_node("Constant", [], ["half"], name="Constant_4",
                         value=helper.make_tensor("", TensorProto.FLOAT, [], [0.5])),
        helper.make_node("Mul", ["z", "half"], ["out"], name="Mul_5"),
        helper.make_node("Transpose", ["out"], ["out_t"], name="Transpose_6", perm=[1, 0]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        inputs=[helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch"])],
        outputs=[helper.make_tensor_value_info("out_t", TensorProto.FLOAT, [None, 1])],
        initializer=initializers)
    model = helper.make_model(graph, producer_name="cudabert-tiny", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "tiny-linear.onnx"))

    def describe(tensor):
        array = numpy_helper.to_array(tensor)
        return {"name": tensor.name, "data_type": int(tensor.data_type), "dims": [int(d) for d in tensor.dims],
                "raw": bool(tensor.raw_data), "values": array.reshape(-1).tolist()}

    reloaded = onnx.load(os.path.join(folder, "tiny-linear.onnx"))
    with open(os.path.join(folder, "tiny-linear.json"), "w") as out:
        json.dump({
            "generator": "tools/onnx-fixtures/tiny_graph.py with onnx " + onnx.__version__,
            "producer": [reloaded.producer_name, reloaded.producer_version],
            "opset": [[o.domain, int(o.version)] for o in reloaded.opset_import],
            "initializers": [describe(t) for t in reloaded.graph.initializer],
            "nodes": [{"name": n.name, "op_type": n.op_type, "inputs": list(n.input), "outputs": list(n.output)}
                      for n in reloaded.graph.node],
        }, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
