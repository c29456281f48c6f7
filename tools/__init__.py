"""Tools that measure the product rather than make it: `python -m tools.bench` (speed and
memory, song in to MP4 out) and `python -m tools.loadtest` (the demo under concurrent clients).
The library (`dance/`) never imports this package.
"""
