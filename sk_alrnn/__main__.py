"""``python -m sk_alrnn``: run the command line (see :mod:`sk_alrnn.cli`)."""

from sk_alrnn.cli import main

if __name__ == "__main__":  # not when imported, e.g. by pytest --doctest-modules
    raise SystemExit(main())
