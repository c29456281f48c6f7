"""The evaluation pipeline: scores, baselines, tables and plots built on dance.metrics.

`python -m evaluation` (evaluate.py) scores dances or builds the validation table;
`python -m evaluation.beatsync` tests beat sync on unseen songs; `python -m
evaluation.crossmodal_train` trains the cross-modal encoders the metrics load. The library
(`dance/`) never imports this package.
"""
