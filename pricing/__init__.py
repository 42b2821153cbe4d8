"""The allocation engine: group districts into purchasing groups at the deepest volume discounts.

Pure Python (PuLP, HiGHS, CBC); the web application calls it through one adapter.
"""

from pricing.engine import solve
from pricing.io import load_instance

__all__ = ["load_instance", "solve"]
