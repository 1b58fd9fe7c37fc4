/**
 * The launcher behind `torchffi run`: starts the ranks of one machine as child
 * processes of the running runtime (Bun or Deno), with the variables
 * `initProcessGroup()` reads, like `torchrun --nproc-per-node`. It loads no
 * LibTorch itself.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";

/**
 * What to launch.
 *
 * @example
 * ```ts
 * const options: LaunchOptions = { nproc: 2, script: "train.ts", args: ["--epochs", "3"] };
 * ```
 */
export interface LaunchOptions {
  /** Ranks to start on this machine. */
  nproc: number;
  /** The script each rank runs. */
  script: string;
  /** Arguments after the script, passed to every rank. */
  args?: string[];
  /** Rank 0's port (default: `MASTER_PORT`, else a free port). */
  masterPort?: number;
  /** Rank 0's host (default: `MASTER_ADDR`, else 127.0.0.1). */
  masterAddr?: string;
  /** This machine's first rank and the world size, for runs across machines (default 0 and `nproc`). */
  nodeRank?: number;
  worldSize?: number;
  /** Where the prefixed output goes (default: this process's stdout and stderr). */
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown };
  /** Milliseconds the others get to stop after SIGTERM before SIGKILL (default 3000). */
  grace?: number;
}

/**
 * A loopback port nobody listens on right now, chosen by the kernel (so
 * parallel runs do not collide); shared with the benchmark and the tests.
 *
 * @example
 * ```ts
 * const port = await freePort(); // e.g. 41873
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The command that runs `script` with the runtime running this code. */
function runtimeCommand(script: string, args: string[]): [string, string[]] {
  return "Deno" in globalThis ? [process.execPath, ["run", "-A", script, ...args]] : [process.execPath, [script, ...args]];
}

/** Writes whole lines of `stream` to `sink`, each after `prefix`. */
function prefixLines(stream: NodeJS.ReadableStream, prefix: string, sink: { write(text: string): unknown }): Promise<void> {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    if (lines.length > 0) sink.write(lines.map((line) => `${prefix}${line}\n`).join(""));
  });
  return new Promise((resolve) =>
    stream.on("end", () => {
      if (pending !== "") sink.write(`${prefix}${pending}\n`);
      resolve();
    })
  );
}

/**
 * Starts the ranks and resolves to the launcher's exit status once all have
 * ended: 0 when every rank exited with 0; otherwise the status of the first
 * rank that failed (128 + signal number for a signal), after the others were
 * stopped (SIGTERM, then SIGKILL after `grace`), so no rank is left behind.
 * Each output line is prefixed with `[rankN] `.
 *
 * @example
 * ```ts
 * const status = await launch({ nproc: 2, script: "examples/ddp_mnist.ts" });
 * process.exitCode = status;
 * ```
 */
export async function launch(options: LaunchOptions): Promise<number> {
  const { nproc, script, args = [], grace = 3000 } = options;
  const out = options.out ?? process.stdout, err = options.err ?? process.stderr;
  const nodeRank = options.nodeRank ?? 0;
  const worldSize = options.worldSize ?? nproc;
  const masterAddr = options.masterAddr ?? process.env.MASTER_ADDR ?? "127.0.0.1";
  const masterPort = options.masterPort ?? (process.env.MASTER_PORT ? Number(process.env.MASTER_PORT) : await freePort());
  const [command, commandArgs] = runtimeCommand(script, args);
  const children: ChildProcess[] = [];
  const outputs: Promise<void>[] = [];
  let failure: { rank: number; status: number } | null = null;
  let stopping = false;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stopOthers = () => {
    if (stopping) return;
    stopping = true;
    stopAll("SIGTERM");
    killTimer = setTimeout(() => stopAll("SIGKILL"), grace);
  };
  // Ctrl-C or a kill of the launcher reaches every rank.
  const onSignal = (signal: NodeJS.Signals) => {
    failure ??= { rank: -1, status: signal === "SIGINT" ? 130 : 143 };
    stopOthers();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const exits = Array.from({ length: nproc }, (_, local) => {
    const rank = nodeRank * nproc + local;
    const env: Record<string, string | undefined> = {
      ...process.env,
      RANK: String(rank),
      LOCAL_RANK: String(local),
      WORLD_SIZE: String(worldSize),
      LOCAL_WORLD_SIZE: String(nproc),
      MASTER_ADDR: masterAddr,
      MASTER_PORT: String(masterPort),
    };
    // As torchrun: ranks sharing a machine should not each start a thread per core.
    if (env.OMP_NUM_THREADS === undefined && nproc > 1) env.OMP_NUM_THREADS = "1";
    const child = spawn(command, commandArgs, { env, stdio: ["inherit", "pipe", "pipe"] });
    children.push(child);
    outputs.push(prefixLines(child.stdout!, `[rank${rank}] `, out), prefixLines(child.stderr!, `[rank${rank}] `, err));
    return new Promise<void>((resolve) => {
      child.on("error", (error) => {
        err.write(`torchffi run: cannot start rank ${rank} (${command}): ${error.message}\n`);
        failure ??= { rank, status: 1 };
        stopOthers();
        resolve();
      });
      child.on("exit", (code, signal) => {
        const status = code ?? 128 + (signal ? signalNumber(signal) : 0);
        if (status !== 0 && !stopping) {
          failure ??= { rank, status };
          err.write(`torchffi run: rank ${rank} ${code !== null ? `exited with status ${code}` : `was killed by ${signal}`}; stopping the other ranks\n`);
          stopOthers();
        }
        resolve();
      });
    });
  });
  await Promise.all(exits);
  await Promise.all(outputs);
  clearTimeout(killTimer);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  // Assigned in the callbacks above, which the compiler cannot follow.
  return (failure as { status: number } | null)?.status ?? 0;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

function signalNumber(signal: string): number {
  return SIGNALS[signal] ?? 1;
}
