"""Progress bars on a terminal or in a notebook (tqdm, on stderr): the CLI's and ``cd.*(progress=True)``'s."""

from __future__ import annotations

import sys

from tqdm import tqdm


class TqdmProgress:
    """Progress callback drawing one tqdm bar per stage on stderr."""

    def __init__(self, prefix: str = "", disable: bool | None = None) -> None:
        self.prefix = prefix
        self.disable = disable
        self.bar = None
        self.stage = None

    def __call__(self, event) -> bool:

        detail = getattr(event, "detail", None)
        desc = f"{self.prefix}{event.stage}: {detail}" if detail else f"{self.prefix}{event.stage}"
        if event.stage != self.stage or self.bar is None:
            self.close()
            self.stage = event.stage
            self.bar = tqdm(total=event.total, desc=desc, unit=f" {event.unit}",
                            file=sys.stderr, leave=False, disable=self.disable, dynamic_ncols=True)
        self.bar.total = event.total
        self.bar.n = event.done
        if detail:  # stage text stays until the next one replaces it
            self.bar.set_description_str(desc, refresh=False)
        self.bar.refresh()
        if event.done >= event.total:
            self.close()
        return True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = None


class RunsBar:
    """One bar over a sweep's runs (``stage="sweep"`` events), showing the events' own ETA, which
    counts only runs computed now (not the cached ones that came back at once). ``write`` prints a
    line above the bar."""

    def __init__(self, disable: bool | None = None) -> None:
        self.disable = disable
        self.bar = None

    def __call__(self, event) -> bool:

        if self.bar is None:
            self.bar = tqdm(total=event.total, desc="runs", unit=" runs", file=sys.stderr, disable=self.disable,
                            dynamic_ncols=True, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} "
                                                           "[{elapsed}{postfix}]")
        self.bar.n = event.done
        eta = getattr(event, "eta_s", None)
        self.bar.set_postfix_str(f"ETA {_clock(eta)}" if eta is not None and event.done < event.total else "",
                                 refresh=False)
        self.bar.refresh()
        return True

    def write(self, line: str, err: bool = False) -> None:

        tqdm.write(line, file=sys.stderr if err else sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


__all__ = ["TqdmProgress", "RunsBar"]
