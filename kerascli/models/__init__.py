"""Keras objects from config specs: layers and models, compiling, callbacks, the GAN model,
loading."""
