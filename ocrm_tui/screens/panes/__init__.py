"""The shell's panes, one module each, so that each can be replaced on its own."""
