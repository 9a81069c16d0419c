"""``python -m clausetrack``."""

from clausetrack.cli import main

if __name__ == "__main__":
    main()
