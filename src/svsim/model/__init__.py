"""The simulation engine: one replication of a council's SEND system, recorded as a History."""

from .engine import simulate
from .history import History

__all__ = ["History", "simulate"]
