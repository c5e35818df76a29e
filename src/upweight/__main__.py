"""``python -m upweight``: the command line."""

from ._entry import run

if __name__ == "__main__":
    run()
