"""How a result draws itself without knowing about plotting.

Results, analyses and workflows sit below :mod:`concept_depth.figures` in the package's layers and
never import it. Their ``figure()`` (and ``heatmap()``...) methods ask for the drawer that
``concept_depth.figures`` registers for their class with :func:`draws` when it is imported, which the
package does on import (``import concept_depth`` imports ``concept_depth.figures``).
"""

from __future__ import annotations

from typing import Any, Callable

_DRAWERS: dict[tuple[type, str], Callable[..., Any]] = {}


def draws(cls: type, name: str = "figure") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(obj, *args, **kwargs)`` as what ``obj.<name>()`` draws for instances of ``cls``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _DRAWERS[(cls, name)] = fn
        return fn

    return register


def draw(obj: Any, name: str = "figure", *args: Any, **kwargs: Any) -> Any:
    """``obj``'s figure called ``name`` (a plotly Figure), from the drawer registered for its class."""
    for klass in type(obj).__mro__:
        drawer = _DRAWERS.get((klass, name))
        if drawer is not None:
            return drawer(obj, *args, **kwargs)
    raise LookupError(f"no {name} is registered for {type(obj).__name__}; import concept_depth.figures")


class Drawable:
    """Mixin: ``figure(*args, **kwargs)`` draws the default figure of this object (see the module docstring)."""

    def figure(self, *args: Any, **kwargs: Any) -> Any:
        return draw(self, "figure", *args, **kwargs)
