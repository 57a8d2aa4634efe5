"""The backprop page in a small two-page app, to look at it and test it before it is registered in
playground/app.py: the second page (the optimizer race) lets a test leave the page and come back.

`?lang=ko` shows it in Korean, as the real app's link does.
"""

import sys
from pathlib import Path

# Streamlit puts this file's folder on the path; the engine and playground live two levels up.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from playground import i18n  # noqa: E402

st.set_page_config(page_title="Backprop by hand", layout="wide")
if i18n.STATE_KEY not in st.session_state:
    st.session_state[i18n.STATE_KEY] = i18n.language_from(st.query_params.get("lang"), None)
st.navigation([
    st.Page(ROOT / "playground" / "views" / "backprop.py", title="Backprop by hand", url_path="backprop", default=True),
    st.Page(ROOT / "playground" / "views" / "race.py", title="Optimizer race", url_path="race"),
]).run()
