"""Entry point of `python -m pricing`."""

import sys

from pricing.cli import main

sys.exit(main())
