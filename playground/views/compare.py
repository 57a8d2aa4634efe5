"""Page script for Compare (its code lives in playground/compare_page.py)."""

from playground import compare_page

compare_page.page()
