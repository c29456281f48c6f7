"""Where a training process sits: nanoGPT's DDP recipe, one process when RANK is unset.

Without RANK in the environment it is one process on whatever device exists, CPU included;
under torchrun each process joins the group (NCCL on GPUs, gloo on CPUs) and rank 0 alone
logs, validates, renders and saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

T = TypeVar("T")


@dataclass
class Distributed:
    """This process's rank, the number of processes and its device."""

    rank: int
    world: int
    device: torch.device
    ddp: bool

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Distributed:
    if "RANK" not in os.environ:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return Distributed(0, 1, device, ddp=False)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    return Distributed(rank, world, device, ddp=True)


def main_first(env: Distributed, work: Callable[[], T]) -> T:
    """Run `work` on rank 0, then on the other ranks: rank 0 fills a cache the others read."""
    if env.main:
        result = work()
    if env.ddp:
        dist.barrier()
    if not env.main:
        result = work()
    return result


def wrap(module: nn.Module, env: Distributed) -> nn.Module:
    """The module in DistributedDataParallel under torchrun, itself otherwise."""
    if not env.ddp:
        return module
    ids = [env.device.index] if env.device.type == "cuda" else None
    return DDP(module, device_ids=ids)


def teardown(env: Distributed) -> None:
    if env.ddp and dist.is_initialized():
        dist.destroy_process_group()
