"""`python -m evaluation`: the scoring CLI in evaluate.py."""

from .evaluate import main

raise SystemExit(main())
