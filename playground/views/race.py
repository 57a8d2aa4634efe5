"""Page script for the optimizer race (its code lives in playground/race_page.py)."""

from playground import race_page

race_page.page()
