"""The neural-network playground: `streamlit run playground/app.py` (or `make run`)."""

import sys
from pathlib import Path

# Streamlit puts this file's folder on the path; the engine lives one level up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402
import torch  # noqa: E402

from playground import chrome  # noqa: E402
from playground.i18n import t  # noqa: E402

# One thread per process: the playground's networks are far too small to gain from
# intra-op parallelism, and a classroom server's cores are better spent on more sessions.
torch.set_num_threads(1)

st.set_page_config(page_title="Neural-network playground", page_icon="🧠", layout="wide")
chrome.choose_language()
chrome.choose_presenting()
# Pages are small scripts (so Streamlit's AppTest can switch between them as a browser does).
page = st.navigation([
    st.Page("views/lessons.py", title=t("app.page.lessons"), icon=":material/school:", url_path="lessons", default=True),
    st.Page("views/playground_2d.py", title=t("app.page.playground"), icon=":material/scatter_plot:", url_path="playground"),
    st.Page("views/compare.py", title=t("app.page.compare"), icon=":material/compare:", url_path="compare"),
    st.Page("views/race.py", title=t("app.page.race"), icon=":material/sports_score:", url_path="race"),
    st.Page("views/mnist.py", title=t("app.page.mnist"), icon=":material/draw:", url_path="mnist"),
    st.Page("views/backprop.py", title=t("app.page.backprop"), icon=":material/account_tree:", url_path="backprop"),
])
chrome.app_controls()
page.run()
