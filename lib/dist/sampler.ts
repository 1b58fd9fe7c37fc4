/**
 * What `train()` does differently in a process group: one shuffle for all
 * ranks, split like PyTorch's `DistributedSampler`, and an agreed start.
 *
 * @module
 */
import { arange, cat, randperm, tensor } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import type { ProcessGroup } from "./group.ts";

/**
 * This rank's samples for one epoch, as `torch.utils.data.DistributedSampler`
 * picks them: one order of all `n` samples (rank 0's `randperm(n)`, sent to
 * everyone, or `0..n-1` without shuffling), padded with its own head to a
 * multiple of the world size, of which rank r takes every world-th sample
 * starting at r. Every rank gets the same count, and step k of all ranks
 * together covers exactly batch k of one process at `worldSize` times the batch.
 *
 * @example
 * ```ts
 * const mine = shardIndices(group, 60000, true); // int64 [30000] on each of two ranks
 * const xb = x.indexSelect(0, mine.narrow(0, 0, 64));
 * ```
 */
export function shardIndices(group: ProcessGroup, n: number, shuffle: boolean): Tensor {
  const world = group.worldSize;
  return tidy(() => {
    let order: Tensor;
    if (shuffle) {
      // Every rank draws, so generators stay in step when seeded alike; rank 0's order is the one used.
      order = randperm(n);
      group.broadcast(order, 0);
    } else {
      order = arange(n, undefined, 1, "int64");
    }
    const perRank = Math.ceil(n / world);
    const padding = perRank * world - n;
    // n < world needs the head repeated more than once, as the sampler does.
    let padded = order;
    while (padded.shape[0] < perRank * world) {
      padded = cat([padded, order.narrow(0, 0, Math.min(n, padding - (padded.shape[0] - n)))]);
    }
    return padded.view([perRank, world]).select(1, group.rank).contiguous();
  });
}

/**
 * The epoch every rank resumes from: each rank reads the checkpoint itself
 * (so the optimizer state matches too), and all must have found the same one;
 * otherwise every rank throws the same `TorchError` rather than waiting for
 * the others in different places.
 *
 * @example
 * ```ts
 * const firstEpoch = agreeOnStart(group, progress ? progress.epoch + 1 : 0);
 * ```
 */
export function agreeOnStart(group: ProcessGroup, firstEpoch: number): number {
  const [largest, negatedSmallest] = tidy(() => group.allReduce(tensor([firstEpoch, -firstEpoch], undefined, "int64"), "max").toArray()) as number[];
  if (largest !== -negatedSmallest) {
    throw new TorchError(
      "train",
      `the ranks would resume from different epochs (${-negatedSmallest} to ${largest}): every rank must see the same checkpoint file`,
    );
  }
  return firstEpoch;
}
