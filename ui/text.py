"""Text from files and caches, made safe to put into Streamlit markdown."""

from __future__ import annotations

import re

# Markdown (links, images, emphasis, code, tables), Streamlit directives (:red[...], :material/...:),
# LaTeX ($...$) and HTML (<...>): a backslash before each makes it literal text.
_SPECIAL = re.compile(r"([\\`*_\[\]()<>!~$:|#{}])")


def escape_markdown(text: object) -> str:
    """``text`` shown literally by ``st.markdown``/``st.success``/``st.subheader`` (no links, images or markup)."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
