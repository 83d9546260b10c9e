"""Folders of package data that torch-free code needs too (the CLI's parser names the default heads)."""

from importlib.resources import files
from pathlib import Path

DEFAULT_CHECKPOINT_DIR = Path(str(files("cnnattn") / "data" / "checkpoints"))  # the trained heads, with their cards
