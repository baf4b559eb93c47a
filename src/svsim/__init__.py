"""svsim: a discrete-event simulation of a council's SEND system, scored against its Safety Valve profile."""

__version__ = "0.1.0"
