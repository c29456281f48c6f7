"""`python -m dance`: the command line in cli.py."""

from .cli import main

raise SystemExit(main())
