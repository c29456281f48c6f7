"""`python -m train --preset cpu --data ../shared/data/ballroom --out runs/NAME [--resume]`.

Under torchrun the same command trains with DistributedDataParallel, e.g.
`torchrun --standalone --nproc_per_node 2 -m train --preset cpu --data ... --out ...`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shlex
import sys
from pathlib import Path

from dance.analysis import FEATURE_SIZES
from dance.errors import DanceError

from .config import PRESETS, LossWeights, preset
from .loop import train


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m train",
        description="Train the music-to-dance GAN (Ren et al. 2020) on real dance data.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--preset", choices=sorted(PRESETS), default="cpu", help="config preset")
    p.add_argument("--data", type=Path, required=True, help="ballroom folder or paper JSON")
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, logs)")
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument(
        "--init",
        type=Path,
        help="start the generator from this one's weights (a .safetensors or a run's .pt); "
        "fresh discriminators and optimisers; --resume of an existing run wins",
    )
    p.add_argument("--epochs", type=int, help="override the preset's epochs")
    p.add_argument("--max-minutes", type=float, help="stop and save after this many minutes")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--seed", type=int, help="override the preset's seed")
    p.add_argument("--frontend", choices=["raw", "features"], help="audio front end")
    p.add_argument(
        "--features",
        help="comma-separated audio feature blocks for the features front end "
        f"(from: {', '.join(FEATURE_SIZES)}), e.g. mel,onset,chroma,beat,pulse",
    )
    p.add_argument("--stgcn", help="pretrained ST-GCN for the perceptual loss")
    p.add_argument(
        "--loss",
        action="append",
        default=[],
        metavar="NAME=WEIGHT",
        help=f"set a loss weight, e.g. --loss l1=50; names: "
        f"{', '.join(f.name for f in dataclasses.fields(LossWeights))}",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set any other number or flag of the config, e.g. --set val_every=1",
    )
    p.add_argument("--cache", type=Path, help="feature cache folder (default: next to --out)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if os.environ.get("RANK", "0") == "0" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    overrides: dict = {}
    for name in ("epochs", "batch_size", "seed"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.max_minutes is not None:
        overrides["max_minutes"] = args.max_minutes
    if args.stgcn is not None:
        overrides["stgcn_checkpoint"] = args.stgcn
    config = preset(args.preset, **overrides)
    if args.frontend is not None and args.frontend != config.generator.frontend:
        features = config.generator.features if args.frontend == "features" else ()
        gen = dataclasses.replace(config.generator, frontend=args.frontend, features=features)
        config = dataclasses.replace(config, generator=gen)
    if args.features is not None:
        names = tuple(n.strip() for n in args.features.split(",") if n.strip())
        unknown = [n for n in names if n not in FEATURE_SIZES]
        if not names or unknown or config.generator.frontend != "features":
            print(
                f"error: bad --features {args.features!r}: needs the features front end and "
                f"names from {', '.join(FEATURE_SIZES)}",
                file=sys.stderr,
            )
            return 2
        gen = dataclasses.replace(config.generator, features=names)
        config = dataclasses.replace(config, generator=gen)
    if args.loss:
        weights = {}
        for item in args.loss:
            name, _, value = item.partition("=")
            if name not in {f.name for f in dataclasses.fields(LossWeights)} or not value:
                print(f"error: bad --loss {item!r}", file=sys.stderr)
                return 2
            weights[name] = float(value)
        config = dataclasses.replace(config, losses=dataclasses.replace(config.losses, **weights))
    scalars = {
        f.name: f.type
        for f in dataclasses.fields(config)
        if f.type in ("int", "float", "bool", "str")
    }
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in scalars or not value:
            print(
                f"error: bad --set {item!r}; fields: {', '.join(sorted(scalars))}", file=sys.stderr
            )
            return 2
        kind = {
            "int": int,
            "float": float,
            "bool": lambda v: v.lower() in ("1", "true", "yes"),
            "str": str,
        }
        try:
            config = dataclasses.replace(config, **{name: kind[scalars[name]](value)})
        except ValueError as err:
            print(f"error: --set {item!r}: {err}", file=sys.stderr)
            return 2
    if not args.data.exists():
        print(f"error: {args.data}: no such data folder", file=sys.stderr)
        return 2
    command = "python -m train " + shlex.join(argv if argv is not None else sys.argv[1:])
    try:
        result = train(
            config,
            args.data,
            args.out,
            resume=args.resume,
            init=args.init,
            cache_dir=args.cache,
            progress=not args.no_progress,
            command=command,
        )
    # Missing data, a missing or bad ST-GCN or --init file, a config that cannot resume.
    except (FileNotFoundError, ValueError, DanceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if os.environ.get("RANK", "0") == "0":
        print(
            json.dumps(
                {
                    "steps": result.steps,
                    "epochs": result.epochs,
                    "wall_minutes": round(result.wall_minutes, 2),
                    "last_losses": result.last_losses,
                    "best": result.best,
                    "out": str(result.out),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
