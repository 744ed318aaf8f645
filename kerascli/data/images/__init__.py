"""Image files from users: finding them, decoding them safely, ink and paper, a reading pool.

Pillow only, restricted to PNG, JPEG and BMP (and GIF for folders of class folders); nothing here
imports TensorFlow (an import-linter contract checks it).
"""
