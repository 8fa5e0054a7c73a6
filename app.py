"""Concept Depth Explorer: Streamlit entry point (page config, the loopback guard, navigation)."""

import streamlit as st
from streamlit import config

from ui import listening_addresses, refuse_once, serving_refusal

st.set_page_config(page_title="Concept Depth Explorer", page_icon="📐", layout="wide")

# The app has no login: served on every interface because no one set an address (a symlinked or copied
# app.py, an older Streamlit), it shows this line and nothing else. `concept-depth app` binds 127.0.0.1.
refusal = serving_refusal(config.get_option("server.address"), config.is_manually_set("server.address"),
                          listening_addresses())
if refusal:
    refuse_once(refusal)
    st.error(refusal)
    st.stop()

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
