"""Concept Depth Explorer: Streamlit entry point (page config + navigation only)."""

import streamlit as st

st.set_page_config(page_title="Concept Depth Explorer", page_icon="📐", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/probe.py", title="Probe", icon=":material/science:"),
    st.Page("app_pages/layers.py", title="Layers", icon=":material/layers:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("app_pages/expression.py", title="Cognition vs expression", icon=":material/record_voice_over:"),
    st.Page("app_pages/beyond.py", title="Beyond the paper", icon=":material/explore:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/folder_open:"),
]
st.navigation(pages).run()
