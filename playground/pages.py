"""The app's pages: the one list of them, in the order the navigation shows them.

A page's id is its URL path (`/compare`), names its script (`views/compare.py`, which
Streamlit runs as the page) and its title (`app.page.compare` in texts/<lang>/app.toml).
Lessons (engine.course.lessons) name the page they open by this id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    id: str
    icon: str

    @property
    def script(self) -> str:
        """The page's script, relative to app.py (what st.Page and st.switch_page take)."""
        return f"views/{self.id}.py"

    @property
    def title_key(self) -> str:
        return f"app.page.{self.id}"


HOME = "lessons"  # shown at "/"
PAGES: dict[str, Page] = {page.id: page for page in (
    Page("lessons", ":material/school:"),
    Page("playground", ":material/scatter_plot:"),
    Page("compare", ":material/compare:"),
    Page("race", ":material/sports_score:"),
    Page("mnist", ":material/draw:"),
    Page("backprop", ":material/account_tree:"),
)}
