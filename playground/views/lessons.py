"""Page script for the Lessons home page (its code lives in playground/lessons_page.py)."""

from playground import lessons_page

lessons_page.page()
