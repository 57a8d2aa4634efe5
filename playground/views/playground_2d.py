"""Page script for the 2D playground (its code lives in playground/two_d.py)."""

from playground import two_d

two_d.page()
