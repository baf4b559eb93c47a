"""`python -m svsim.cli` runs the `svsim` command."""

from . import main

if __name__ == "__main__":  # pragma: no cover
    main()
