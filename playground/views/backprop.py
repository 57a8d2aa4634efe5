"""Page script for backprop by hand (its code lives in playground/backprop_page.py)."""

from playground import backprop_page

backprop_page.page()
