"""Guard against Streamlit's legacy ``pages/`` directory mode on a deep link.

Streamlit starts every server in "pages directory" mode when a ``pages/`` folder sits next
to the entry script, and only leaves it when ``app.py`` calls ``st.navigation``. So the very
first visit after a server start that opens a deep link (``/probe``) runs the page file
alone: no page config, the wrong sidebar. Each page calls :func:`ensure_navigation` first;
in that case it switches the mode off and reruns, which goes through ``app.py``.

Streamlit's AppTest resets the mode before every run (and a rerun would drop the click
being tested), so the guard stands down under AppTest.
"""

from __future__ import annotations

import sys

import streamlit as st


def ensure_navigation() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if PagesManager.uses_pages_directory and "streamlit.testing.v1.app_test" not in sys.modules:
        PagesManager.uses_pages_directory = False
        st.rerun()
