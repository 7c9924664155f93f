"""Answers that arrive while the app quits or a screen closes.

A worker awaiting the appliance can finish after quitting (or leaving its screen)
has taken its widgets away; its last step then finds nothing to update, and should
change nothing rather than fail (a failed worker ends the app with an error)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.css.query import NoMatches
from textual.dom import DOMNode, NoScreen


@contextmanager
def unless_gone(node: DOMNode) -> Iterator[None]:
    """Drop what the block does if `node`'s widgets are gone or going; a widget that
    is still all there and finds nothing is a real error, and is raised.

    Quitting or closing a screen takes widgets down from the innermost out, so `node`
    can still be there, children and all, when the table deep inside it is gone."""
    try:
        yield
    except NoMatches:
        if _shown(node) and node.children:
            raise


def _shown(node: DOMNode) -> bool:
    """Whether `node` is on a screen of the running app (not one being closed)."""
    if not node.is_attached or not node.app.is_running:
        return False
    try:
        screen = node.screen
    except NoScreen:
        return False
    return screen in node.app.screen_stack
