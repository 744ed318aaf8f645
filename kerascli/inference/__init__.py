"""Using a trained model without TensorFlow: exported runtimes, the shared prediction loop, serving.

Nothing in this package imports TensorFlow or Keras, even indirectly (an import-linter contract):
`kerascli predict`, `serve` and `sample` answer in a fraction of a second from a run's `export/`
(ONNX through onnxruntime, LiteRT through ai-edge-litert). The Keras path in
`kerascli.commands.predict` plugs its model into the same loop, so both paths read, preprocess,
rank and report exactly alike.
"""
