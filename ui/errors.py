"""Show engine errors as readable messages; the page keeps running."""

from __future__ import annotations

import traceback
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from concept_depth.core.errors import Cancelled, ConceptDepthError


@contextmanager
def show_errors(what: str = "") -> Iterator[None]:
    """Run a block; a ConceptDepthError becomes ``st.error`` with its sentence, anything else an
    ``st.error`` naming the error with details folded away (never a bare traceback).

    Streamlit's own stop/rerun signals derive from BaseException and pass through untouched.
    """
    prefix = f"{what}: " if what else ""
    try:
        yield
    except Cancelled as exc:
        st.warning(f"{prefix}cancelled ({exc}). Work already finished is cached; run again to resume.")
    except ConceptDepthError as exc:
        st.error(f"{prefix}{exc}", icon="⚠️")
    except MemoryError:
        st.error(f"{prefix}out of memory: try a smaller model, a lower bit width or a sample limit.", icon="⚠️")
    except Exception as exc:  # a bug, not a user error: say so, keep details one click away
        st.error(f"{prefix}unexpected {type(exc).__name__}: {exc}", icon="🐞")
        with st.expander("details for a bug report"):
            st.code("".join(traceback.format_exception(exc))[-4000:], language="text")
