"""Using a trained model without TensorFlow: exported runtimes, the shared prediction loop, serving.

Nothing in this package imports TensorFlow or Keras, even indirectly (an import-linter contract):
`kerascli predict`, `serve` and `sample` answer in a fraction of a second from a run's `export/`
(ONNX through onnxruntime, LiteRT through ai-edge-litert). The Keras path in
`kerascli.commands.predict` plugs its model into the same loop, so both paths read, preprocess,
rank and report exactly alike.

Where to start reading:
- `formats`: each export format (file, runtime, how it is exported, loaded and checked), once.
- `manifest`: `export/manifest.json` as a typed record, the one module that reads and writes it.
- `engine`: the one decision "the run's export, or Keras, and why" of predict, serve and sample.
- `exported`: an opened export made into the predictors (`classify`, `own`) and generator.
- `server`: the HTTP app; `handlers` (one per input kind), `uploads`, `http_errors` below it.
"""
