"""The backprop page in a small two-page app, to look at it and test it before it is registered in
playground/app.py: the second page (the optimizer race) lets a test leave the page and come back.

`?lang=ko` shows it in Korean, as the real app's link does.
"""

from pathlib import Path

import streamlit as st

from playground import i18n

ROOT = Path(__file__).resolve().parents[2]

st.set_page_config(page_title="Backprop by hand", layout="wide")
if i18n.STATE_KEY not in st.session_state:
    st.session_state[i18n.STATE_KEY] = i18n.language_from(st.query_params.get("lang"), None)
st.navigation([
    st.Page(ROOT / "playground" / "views" / "backprop.py", title="Backprop by hand", url_path="backprop", default=True),
    st.Page(ROOT / "playground" / "views" / "race.py", title="Optimizer race", url_path="race"),
]).run()
