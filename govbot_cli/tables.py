"""Aligned tables, colour and progress for people, with ``rich`` (CLI only, never the Lambdas).

Colour and progress appear only when the stream is a terminal (and ``NO_COLOR`` is unset):
piped output stays plain text, one row per line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO, TypeVar

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

T = TypeVar("T")
PIPE_WIDTH = 400  # piped output: never wrap a row
OUTCOME_STYLE = {
    "compliant": "green",
    "allowed": "green",
    "remedied": "yellow",
    "exempted": "cyan",
    "violation": "bold red",
    "rejected": "magenta",
    "ignored": "dim",
    "failed": "bold red",
    "succeeded": "green",
}


def console(stream: TextIO) -> Console:
    """A console on ``stream``: colour and terminal width only when it is a terminal."""
    terminal = bool(getattr(stream, "isatty", lambda: False)())
    return Console(
        file=stream,
        force_terminal=terminal,
        no_color=not terminal,
        highlight=False,
        soft_wrap=not terminal,
        width=None if terminal else PIPE_WIDTH,
    )


def table(
    stream: TextIO,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    style_column: int | None = None,
    title: str | None = None,
) -> None:
    """Print an aligned table with a header row; ``style_column`` is coloured by outcome."""
    out = console(stream)
    grid = Table(
        box=box.SIMPLE_HEAD if out.is_terminal else None,
        show_edge=False,
        pad_edge=False,
        title=title,
        title_justify="left",
        header_style="bold" if out.is_terminal else "",
    )
    for header in headers:
        grid.add_column(header, overflow="fold" if out.is_terminal else "ignore")
    for row in rows:
        cells = ["-" if cell in (None, "") else str(cell) for cell in row]
        if out.is_terminal:  # data is text, not markup
            cells = [escape(cell) for cell in cells]
        if style_column is not None and out.is_terminal:
            value = cells[style_column]
            style = OUTCOME_STYLE.get(value.split("/")[0])
            if style:
                cells[style_column] = f"[{style}]{value}[/]"
        grid.add_row(*cells)
    with out.capture() as captured:
        out.print(grid, markup=out.is_terminal)
    # rich pads every row to the table's width; trailing blanks only get in the way.
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


@contextmanager
def progress(stream: TextIO, total: int, what: str) -> Iterator[Callable[..., None]]:
    """A progress bar on ``stream`` when it is a terminal; yields ``advance(label)``."""
    out = console(stream)
    if not out.is_terminal:
        yield lambda _label="": None
        return
    bar = Progress(
        TextColumn(f"{what} [progress.description]{{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=out,
        transient=True,
    )
    with bar:
        task = bar.add_task("", total=total)
        yield lambda label="": bar.update(task, advance=1, description=str(label))
