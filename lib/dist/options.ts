/**
 * Where a process group meets: the rendezvous settings of `initProcessGroup`,
 * filled from the environment the way `torch.distributed`'s `env://` does.
 *
 * @module
 */
import process from "node:process";
import { TorchError } from "../errors.ts";

/**
 * How to join a process group. Every field left out is read from the
 * environment (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`), as
 * `torchrun` and `torchffi run` set them.
 *
 * @example
 * ```ts
 * const options: ProcessGroupOptions = { rank: 0, worldSize: 2, masterAddr: "127.0.0.1", masterPort: 29500, timeout: 10_000 };
 * using group = initProcessGroup(options);
 * ```
 */
export interface ProcessGroupOptions {
  /** This process's rank, 0 to `worldSize - 1` (default: `RANK`). */
  rank?: number;
  /** How many processes take part (default: `WORLD_SIZE`). */
  worldSize?: number;
  /** The host of rank 0, which serves the store (default: `MASTER_ADDR`, else 127.0.0.1). */
  masterAddr?: string;
  /** The port of rank 0's store (default: `MASTER_PORT`, else 29500, PyTorch's). */
  masterPort?: number;
  /**
   * Milliseconds any step may wait for the others (joining, a collective)
   * before it fails with a `TorchError`: at least 1000 (default 30 minutes, PyTorch's).
   */
  timeout?: number;
  /**
   * Before each collective, confirm in one small exchange that every rank
   * passes tensors of the same shapes and dtypes (default true). Gloo aborts
   * the process when they differ; with the check, every rank throws a
   * `TorchError` instead. Such groups also run their collectives on a
   * synchronous Gloo context (no helper threads: several times faster on
   * busy cores). PyTorch ranks take part in neither: set it to false in a
   * group shared with them, and every collective goes through
   * ProcessGroupGloo, as in PyTorch.
   */
  checkCollectives?: boolean;
}

/** The settings with every field filled in and checked. */
export type Rendezvous = Required<ProcessGroupOptions>;

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

function integer(name: string, value: unknown, source: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer in ${min}..${max}`;
    throw new TorchError("initProcessGroup", `${name} must be ${range}, got ${JSON.stringify(value)} (from ${source})`);
  }
  return n;
}

/**
 * Fills `options` from the environment and checks every field, so that a bad
 * setting fails before any connection is tried.
 *
 * @example
 * ```ts
 * const { rank, worldSize } = resolveRendezvous({ timeout: 5000 }); // RANK and WORLD_SIZE from the environment
 * ```
 */
export function resolveRendezvous(options: ProcessGroupOptions = {}): Rendezvous {
  if (options === null || typeof options !== "object") throw new TorchError("initProcessGroup", "options must be an object");
  const env = process.env;
  const pick = (value: unknown, variable: string): [unknown, string] =>
    value !== undefined ? [value, "options"] : [env[variable], `the environment variable ${variable}`];
  const need = (value: unknown, variable: string, field: string): [unknown, string] => {
    const picked = pick(value, variable);
    if (picked[0] === undefined) {
      throw new TorchError("initProcessGroup", `${field} is not set: pass { ${field} } or set ${variable} (as torchffi run does)`);
    }
    return picked;
  };
  const worldSize = integer("worldSize", ...need(options.worldSize, "WORLD_SIZE", "worldSize"), 1);
  const rank = integer("rank", ...need(options.rank, "RANK", "rank"), 0, worldSize - 1);
  const [addr, addrSource] = pick(options.masterAddr, "MASTER_ADDR");
  const masterAddr = addr ?? "127.0.0.1";
  if (typeof masterAddr !== "string" || masterAddr.trim() === "" || masterAddr.includes("\0")) {
    throw new TorchError("initProcessGroup", `masterAddr must be a host name or address, got ${JSON.stringify(addr)} (from ${addrSource})`);
  }
  const [port, portSource] = pick(options.masterPort, "MASTER_PORT");
  const masterPort = integer("masterPort", port ?? 29500, portSource, 1, 65535);
  // c10d's store counts whole seconds when it connects: less fails at once.
  const timeout = integer("timeout", options.timeout ?? DEFAULT_TIMEOUT_MS, "options", 1000);
  const checkCollectives = options.checkCollectives ?? true;
  if (typeof checkCollectives !== "boolean") throw new TorchError("initProcessGroup", `checkCollectives must be true or false, got ${JSON.stringify(checkCollectives)}`);
  return { rank, worldSize, masterAddr: masterAddr.trim(), masterPort, timeout, checkCollectives };
}
