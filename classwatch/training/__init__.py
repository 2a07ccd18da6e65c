"""Training the expression model (optional extra ``train``: PyTorch, plus TensorFlow for the ``.tflite`` conversion).

Nothing here is imported by the app at run time; the app only loads the
exported ``.tflite`` file with LiteRT. Modules:

- ``data``: FER2013 + FER+ loading and soft targets.
- ``augment``: screen-capture-like augmentation built on ``classwatch.preprocess``.
- ``model``: the PyTorch network.
- ``train``: the resumable training loop (CLI).
- ``calibrate``: temperature scaling.
- ``export``: the network rebuilt in Keras, ``.tflite`` conversion, verification
  and the model card (CLI), rendered from ``card_template.md``.
"""
