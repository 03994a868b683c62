#!/usr/bin/python3
"""Reference facts about the MiniLM model.onnx, read with the official `onnx` Python package.

The C# importer parses model.onnx with its own protobuf reader and maps initializers to Hugging Face
names; this script gives the parity tests an independent view of the same file:

  * every initializer: name, ONNX data type, dims and the SHA-256 of its values as little-endian bytes
    (via onnx.numpy_helper, i.e. the official decoding of raw_data / float_data / int64_data);
  * which bias each anonymous MatMul weight meets in the Add after its MatMul;
  * the scalar constants of the embeddings' LayerNorm (eps) and of the first attention (scale).

Needs Debian's python3-onnx (apt-get install python3-onnx; it pulls python3-numpy). Usage:

  dotnet run --project Cli -- import minilm --out /tmp/minilm --save-onnx
  /usr/bin/python3 tools/onnx-fixtures/minilm_initializers.py /tmp/minilm/model.onnx \
      > Tests/CudaBert.Tests.Parity/Fixtures/minilm/onnx-reference.json
"""
import hashlib
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def constant_value(graph, producers, value_name):
    """The float value of a one-element initializer or Constant node output, else None."""
    for tensor in graph.initializer:
        if tensor.name == value_name:
            array = numpy_helper.to_array(tensor)
            return float(array.reshape(-1)[0]) if array.size == 1 else None
    node = producers.get(value_name)
    if node is not None and node.op_type == "Constant":
        for attribute in node.attribute:
            if attribute.name == "value":
                array = numpy_helper.to_array(attribute.t)
                return float(array.reshape(-1)[0]) if array.size == 1 else None
    return None


def main(path):
    model = onnx.load(path)
    graph = model.graph
    producers = {out: node for node in graph.node for out in node.output}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    initializer_names = {t.name for t in graph.initializer}

    initializers = []
    for tensor in graph.initializer:
        array = numpy_helper.to_array(tensor)
        little_endian = array.astype(array.dtype.newbyteorder("<"), copy=False)
        initializers.append({
            "name": tensor.name,
            "data_type": int(tensor.data_type),
            "dims": [int(d) for d in tensor.dims],
            "sha256": hashlib.sha256(np.ascontiguousarray(little_endian).tobytes()).hexdigest(),
        })

    matmul_bias = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in initializer_names or "." in node.input[1]:
            continue
        for add in consumers.get(node.output[0], []):
            if add.op_type == "Add":
                bias = [i for i in add.input if i != node.output[0] and i in initializer_names]
                if bias:
                    matmul_bias[node.input[1]] = bias[0]

    eps = None
    for node in consumers.get("embeddings.LayerNorm.weight", []):
        if node.op_type != "Mul":
            continue
        for value in node.input:
            div = producers.get(value)
            if div is None or div.op_type != "Div":
                continue
            sqrt = producers.get(div.input[1])
            add = producers.get(sqrt.input[0]) if sqrt is not None and sqrt.op_type == "Sqrt" else None
            if add is not None and add.op_type == "Add":
                values = [constant_value(graph, producers, term) for term in add.input]
                eps = next(v for v in values if v is not None)

    softmax = next(node for node in graph.node if node.op_type == "Softmax")
    scale_add = producers[softmax.input[0]]
    scale_node = next(producers[i] for i in scale_add.input if i in producers and producers[i].op_type == "Div")
    attention_divisor = constant_value(graph, producers, scale_node.input[1])

    json.dump({
        "generator": "tools/onnx-fixtures/minilm_initializers.py with onnx " + onnx.__version__,
        "producer": f"{model.producer_name} {model.producer_version}",
        "initializers": initializers,
        "matmul_weight_bias": matmul_bias,
        "embeddings_layer_norm_eps": eps,
        "attention_score_divisor": attention_divisor,
        "erf_nodes": sum(1 for node in graph.node if node.op_type == "Erf"),
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
