"""Concept Depth Explorer: Streamlit entry point (page config + navigation only)."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Concept Depth Explorer", page_icon="📐", layout="wide")

HERE = Path(__file__).parent
pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/probe.py", title="Probe", icon="🧪"),
    st.Page("pages/layers.py", title="Layers", icon="🔎"),
    st.Page("pages/compare.py", title="Compare", icon="📊"),
]
# Helper E's page joins the navigation once it exists.
if (HERE / "pages" / "expression.py").exists():
    pages.append(st.Page("pages/expression.py", title="Cognition vs expression", icon="🗣️"))
pages.append(st.Page("pages/runs.py", title="Runs", icon="🗂️"))
st.navigation(pages).run()
