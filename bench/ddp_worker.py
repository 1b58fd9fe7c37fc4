"""One process of bench/ddp.ts in PyTorch: the seed's CNN with Adam, one
thread, on the first Fashion-MNIST images. With RANK set it is one rank of a
DistributedDataParallel run (Gloo, each rank at --batch, its samples chosen
as DistributedSampler chooses them); alone it is the single-process baseline.
Rank 0 prints the median step time and the final loss (averaged over the
ranks, untimed) as JSON, like ddp_worker.ts.

Run: /usr/bin/python3 bench/ddp_worker.py --batch 128 --warmup 5 --steps 40
"""
import argparse
import json
import os
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import LR, SEED, Cnn, load_mnist  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("gloo", timeout=timedelta(seconds=120))
    world = dist.get_world_size() if distributed else 1
    rank = dist.get_rank() if distributed else 0
    x, y = load_mnist(os.environ.get("TORCHFFI_DATA") or "/usr/share/datasets/fashion-mnist")
    n = (args.warmup + args.steps) * args.batch * world
    x, y = x[:n].view(-1, 1, 28, 28), y[:n]
    torch.manual_seed(SEED)
    model = Cnn()
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    # The same order as train(): randperm after the model, then every world-th sample.
    mine = torch.randperm(n)[rank::world]
    times, loss = [], None
    last = time.perf_counter()
    for k in range(args.warmup + args.steps):
        index = mine[k * args.batch : (k + 1) * args.batch]
        out = model(x.index_select(0, index))
        loss = F.cross_entropy(out, y.index_select(0, index))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        value = loss.item()
        now = time.perf_counter()
        times.append((now - last) * 1000)
        last = now
    if distributed:
        total = torch.tensor([value])
        dist.all_reduce(total)
        value = total.item() / world
        dist.destroy_process_group()
    if rank == 0:
        median = sorted(times[args.warmup :])[len(times[args.warmup :]) // 2]
        print(json.dumps({"median_ms": median, "loss": value, "steps": len(times), "world": world}))


if __name__ == "__main__":
    main()
