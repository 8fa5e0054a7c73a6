"""Concept Depth Explorer: Streamlit entry point (page config + navigation only)."""

import streamlit as st

st.set_page_config(page_title="Concept Depth Explorer", page_icon="📐", layout="wide")

pages = [st.Page("pages/home.py", title="Home", icon="🏠", default=True)]
st.navigation(pages).run()
