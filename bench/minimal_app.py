"""Baseline for the cold-start benchmark: the smallest Textual app that draws one label."""

from textual.app import App, ComposeResult
from textual.widgets import Label


class Minimal(App):
    def compose(self) -> ComposeResult:
        yield Label("Employee number")


if __name__ == "__main__":
    Minimal().run()
