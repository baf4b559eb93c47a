"""Outputs: run folders (atomic, with a manifest), tables, charts. Submodules import pandas/matplotlib lazily
from the CLI's point of view: import `svsim.outputs.run` only when a run is asked for."""
