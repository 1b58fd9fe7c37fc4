/**
 * `torchffi run`: the command-line face of the launcher (`lib/dist/launch.ts`).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { launch } from "../dist/launch.ts";
import { type CliIo, integerFlag, parseFlags, UsageError } from "./args.ts";

const RUN_HELP = `Usage: torchffi run --nproc N [options] script.ts [args...]

Starts N ranks of script.ts with the runtime running this command (Bun or
Deno), each with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set as
initProcessGroup() reads them (and LOCAL_RANK, LOCAL_WORLD_SIZE; OMP_NUM_THREADS=1
unless set). Output lines are prefixed with [rankN]. When a rank fails, the
others are stopped and the command exits with that rank's status.

  --nproc N          ranks to start on this machine (required)
  --master-port P    rank 0's port (default: MASTER_PORT, else a free port)
  --master-addr A    rank 0's host (default: MASTER_ADDR, else 127.0.0.1)
  --nnodes M         machines taking part (default 1)
  --node-rank K      this machine's index, 0 to M-1 (default 0); its ranks are K*N .. K*N+N-1

Across machines, run the same command on each one with --nnodes, its own
--node-rank, and --master-addr/--master-port naming machine 0.
`;

/**
 * Runs `torchffi run` with `args` (after `run`) and resolves to its exit status.
 *
 * @example
 * ```ts
 * const status = await runLaunch(["--nproc", "2", "examples/ddp_mnist.ts"], io);
 * ```
 */
export async function runLaunch(args: string[], io: CliIo): Promise<number> {
  // The launcher's flags come before the script; everything after it is the script's.
  const scriptAt = args.findIndex((arg, i) => !arg.startsWith("-") && (i === 0 || !takesValue(args[i - 1])));
  const own = scriptAt === -1 ? args : args.slice(0, scriptAt);
  const flags = parseFlags(own, {
    nproc: { type: "string" },
    "master-port": { type: "string" },
    "master-addr": { type: "string" },
    nnodes: { type: "string" },
    "node-rank": { type: "string" },
  });
  if (flags.help) {
    io.out.write(RUN_HELP);
    return 0;
  }
  if (flags.nproc === undefined) throw new UsageError("run needs --nproc N (see torchffi run --help)");
  const nproc = integerFlag("nproc", flags.nproc, 1, 1);
  const nnodes = integerFlag("nnodes", flags.nnodes, 1, 1);
  const nodeRank = integerFlag("node-rank", flags["node-rank"], 0, 0);
  if (nodeRank >= nnodes) throw new UsageError(`--node-rank must be below --nnodes (${nnodes}), got ${nodeRank}`);
  const masterPort = flags["master-port"] === undefined ? undefined : integerFlag("master-port", flags["master-port"], 0, 1);
  if (masterPort !== undefined && masterPort > 65535) throw new UsageError(`--master-port must be at most 65535, got ${masterPort}`);
  if (scriptAt === -1) throw new UsageError("run needs a script to start (torchffi run --nproc N script.ts [args...])");
  const script = args[scriptAt];
  if (!existsSync(script)) throw new UsageError(`no such script: ${script}`);
  const masterAddr = typeof flags["master-addr"] === "string" ? flags["master-addr"] : undefined;
  return launch({
    nproc,
    script,
    args: args.slice(scriptAt + 1),
    masterPort,
    masterAddr,
    nodeRank,
    worldSize: nproc * nnodes,
    out: io.out,
    err: io.err,
  });
}

function takesValue(flag: string): boolean {
  return ["--nproc", "--master-port", "--master-addr", "--nnodes", "--node-rank"].includes(flag);
}
