"""Where the pricing tests find their fixtures: a copy of shared/examples kept in the repo."""

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
