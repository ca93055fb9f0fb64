"""``python -m jaxviz``: the same entry point as the ``jaxviz`` command."""

from jaxviz.cli import main

raise SystemExit(main())
