"""Pictures of runs: learning curves, confusion matrices, image grids, GAN sample grids and GIFs.

matplotlib and Pillow only; nothing here imports TensorFlow.
"""
