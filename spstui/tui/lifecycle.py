"""Answers that arrive while the app quits.

A worker awaiting the appliance can finish after quitting has taken its widgets
away; its last step then finds nothing to update, and should change nothing
rather than fail (a failed worker is reported as an error on the way out)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.css.query import NoMatches
from textual.dom import DOMNode


@contextmanager
def unless_gone(node: DOMNode) -> Iterator[None]:
    """Drop what the block does if `node`'s widgets are gone or going; a widget that
    is still all there and finds nothing is a real error, and is raised.

    Quitting takes widgets down from the innermost out, so `node` can still be there,
    children and all, when the table deep inside it is already gone."""
    try:
        yield
    except NoMatches:
        if node.is_attached and node.app.is_running and node.children:
            raise
