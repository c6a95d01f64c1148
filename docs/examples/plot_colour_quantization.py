"""
Colour quantization
===================

Reduce a photograph to 16 colours. k-means runs on a weighted colour
histogram (a few thousand bins instead of every pixel), then every pixel is
mapped exactly to its nearest palette colour.
"""

import numpy as np
from sklearn.datasets import load_sample_image

from vqtoolkit import quantize_image
from vqtoolkit.plotting import plot_quantized_image

image = load_sample_image("china.jpg")
q = quantize_image(image, 16, random_state=0)
print(q.codebook.shape, q.codes.shape)

plot_quantized_image(image, q.image, codebook=q.codebook,
                     titles=["original", f"{q.n_colors} colours"])
print("mean squared error per channel:", q.mse)
assert np.isclose(q.mse, np.mean((image.astype(float) - q.image) ** 2))
