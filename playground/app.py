"""The neural-network playground: `nn-playground serve` (or `make run`) runs this file."""

import streamlit as st
import torch

from playground import viewer
from playground.i18n import t
from playground.pages import HOME, PAGES

# One thread per process: the playground's networks are far too small to gain from
# intra-op parallelism, and a classroom server's cores are better spent on more sessions.
torch.set_num_threads(1)

st.set_page_config(page_title="Neural-network playground", page_icon="🧠", layout="wide")
viewer.choose_language()
viewer.choose_presenting()
# Pages are scripts (so Streamlit's AppTest can switch between them as a browser does).
page = st.navigation([st.Page(p.script, title=t(p.title_key), icon=p.icon, url_path=p.id, default=p.id == HOME)
                      for p in PAGES.values()])
viewer.app_controls()
page.run()
