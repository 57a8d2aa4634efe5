"""Page script for the MNIST lab (its code lives in playground/mnist_page.py)."""

from playground import mnist_page

mnist_page.page()
