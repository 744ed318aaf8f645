"""The starter configs `kerascli init` writes, one per kind of data: commented YAML text.

Templates are text, not dumped dicts, so that every line can carry the comment a newcomer needs;
`kerascli init` checks what it fills in by loading the result like any config.
"""

from __future__ import annotations

IMAGES = """\
# A starter config written by `kerascli init {source_path}`: a small CNN for your image folders.
# Run it with:  kerascli train {config_name}
# Every key is in the docs (docs/reference/configuration.md); edit, then `kerascli validate` it.
name: {name}
seed: 42
data:
  source: images               # one subfolder per class; the folder names are the class names
  path: {path}{layout_comment}
  image_size: [{height}, {width}]         # every image is resized to this (typical here: {typical})
  color_mode: {color_mode}              # rgb | grayscale | rgba{color_comment}
{test_line}{validation_line}  preprocess:
    scale: 255                 # pixels / 255: inputs in [0, 1]
  # augment:                   # uncomment for more variety in training batches:
  #   - RandomFlip: {{mode: horizontal}}
  #   - RandomRotation: {{factor: 0.05}}
model:
  # input_shape is left out: image_size and color_mode decide it ([{height}, {width}, {channels}]).
  layers:
    - Conv2D: {{filters: 32, kernel_size: 3, activation: relu}}
    - MaxPooling2D: {{pool_size: 2}}
    - Conv2D: {{filters: 64, kernel_size: 3, activation: relu}}
    - MaxPooling2D: {{pool_size: 2}}
    - GlobalAveragePooling2D     # one number per filter, whatever the image size
    - Dropout: {{rate: 0.2}}       # against overfitting a small dataset
    - Dense: {{units: {classes}, activation: softmax}}   # one unit per class: {class_list}
    # For photos, a pretrained backbone usually does far better: in place of the layers above,
    #   - MobileNetV2: {{include_top: false, weights: imagenet, pooling: avg, trainable: false}}
    # with color_mode rgb, image_size [96, 96] or more and preprocess range: [-1, 1] (its inputs).
compile:
  optimizer: adam
  loss: sparse_categorical_crossentropy   # labels are class indices
  metrics: [accuracy]
fit:
  epochs: 10
  batch_size: 32
  callbacks:
    - EarlyStopping: {{monitor: val_loss, patience: 3, restore_best_weights: true}}
"""
CSV = """\
# A starter config written by `kerascli init {source_path}`: a small dense network for your table.
# Run it with:  kerascli train {config_name}
# Every key is in the docs (docs/reference/configuration.md); edit, then `kerascli validate` it
# (it lists the kind it infers for every column).
name: {name}
seed: 42                        # the same split and weights every run
data:
  source: csv
  path: {path}    # one file; the test set is a split of it
  test: {{split: 0.2}}            # 20% of the rows held out for the final test (the same every run)
  target: {target}    # the column to predict: {target_comment}
                                # ({target_how})
  validation: {{split: 0.1}}      # the last 10% of the training rows, checked after each epoch
  # features:                   # every other column, its kind inferred from its values:
{feature_lines}model:                          # no input_shape: the encoded features decide it
  layers:
    - Dense: {{units: 64, activation: relu}}
    - Dropout: {{rate: 0.2}}       # against overfitting a small table
    - Dense: {{units: 32, activation: relu}}
    - Dense: {output_layer}
compile:
  optimizer: adam
  loss: {loss}
  metrics: [{metric}]
fit:
  epochs: 20
  batch_size: 32
  callbacks:
    - EarlyStopping: {{monitor: val_loss, patience: 3, restore_best_weights: true}}
"""
TEXT = """\
# A starter config written by `kerascli init {source_path}`: a bag-of-words classifier for your
# text folders. Run it with:  kerascli train {config_name}
# Every key is in the docs (docs/reference/configuration.md); edit, then `kerascli validate` it.
name: {name}
seed: 42                        # the same split and weights every run
data:
  source: text                  # one subfolder of .txt files per class; its name is the class
  path: {path}{layout_comment}
{test_line}{validation_line}model:                          # no input_shape: one string per example
  layers:
    - TextVectorization: {{max_tokens: 20000, output_sequence_length: 200}}  # learnt before fit
    - Embedding: {{input_dim: 20000, output_dim: 32}}
    - GlobalAveragePooling1D     # one vector per text, whatever its length
    - Dropout: {{rate: 0.3}}       # against overfitting a small dataset
    - Dense: {{units: {classes}, activation: softmax}}   # one unit per class: {class_list}
compile:
  optimizer: adam
  loss: sparse_categorical_crossentropy   # labels are class indices
  metrics: [accuracy]
fit:
  epochs: 10
  batch_size: 32
  callbacks:
    - EarlyStopping: {{monitor: val_loss, patience: 2, restore_best_weights: true}}
"""
