/**
 * The data-parallel benchmark (the last table of `npm run bench`; alone:
 * `npm run bench:ddp` or `npm run bench -- --only ddp`): the seed's CNN with Adam,
 * 128 samples a step, one thread per process, as one process at batch 128 and
 * as 2 ranks at 64 each (torchffi's process group; PyTorch's
 * DistributedDataParallel over Gloo, ranks started by hand as torchrun fails
 * on Debian's Python 3.11), in Bun, Deno and PyTorch. Runs rotate over rounds
 * so machine noise spreads evenly; prints medians, ratios and final losses.
 *
 * Run: bun bench/ddp.ts [--quick] [--rounds N]
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { freePort } from "../lib/dist/launch.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const python = process.env.TORCHFFI_PYTHON || "/usr/bin/python3";
const quick = process.argv.includes("--quick");
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt === -1 ? (quick ? 1 : 3) : Number(process.argv[roundsAt + 1]);
const [warmup, steps] = quick ? [2, 8] : [5, 40];

type Impl = "bun" | "deno" | "pytorch";
const COMMANDS: Record<Impl, [string, string[]]> = {
  bun: [join(root, "node_modules/.bin/bun"), ["bench/ddp_worker.ts"]],
  deno: [join(root, "node_modules/.bin/deno"), ["run", "-A", "bench/ddp_worker.ts"]],
  pytorch: [python, ["bench/ddp_worker.py"]],
};
const TITLES: Record<Impl, string> = { bun: "Bun", deno: "Deno", pytorch: "PyTorch" };
const SETUPS = [{ world: 1, batch: 128 }, { world: 2, batch: 64 }];

interface Result {
  median_ms: number;
  loss: number;
}

function runProcess(impl: Impl, batch: number, env: Record<string, string>): Promise<string> {
  const [command, args] = COMMANDS[impl];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, "--batch", String(batch), "--warmup", String(warmup), "--steps", String(steps)], {
      cwd: root,
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      if (status === 0) resolve(out);
      else reject(new Error(`${impl} exited with ${status}`));
    });
  });
}

/** One run of one setup: all its ranks at once; rank 0's report. */
async function runSetup(impl: Impl, world: number, batch: number): Promise<Result> {
  const port = await freePort();
  const outputs = await Promise.all(Array.from({ length: world }, (_, rank) =>
    runProcess(impl, batch, world === 1 ? {} : {
      RANK: String(rank),
      WORLD_SIZE: String(world),
      MASTER_ADDR: "127.0.0.1",
      MASTER_PORT: String(port),
      GLOO_SOCKET_IFNAME: "lo",
    })
  ));
  const line = outputs.join("\n").trim().split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`${impl} printed no result`);
  return JSON.parse(line) as Result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : "—");
const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "—");

async function main(): Promise<void> {
  const impls: Impl[] = ["bun", "deno", "pytorch"];
  const times = new Map<string, number[]>();
  const losses = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const order = impls.map((_, i) => impls[(i + round) % impls.length]);
    for (const impl of order) {
      for (const { world, batch } of SETUPS) {
        const key = `${impl}/${world}`;
        const result = await runSetup(impl, world, batch);
        console.error(`bench:ddp: round ${round + 1}/${rounds}  ${TITLES[impl].padEnd(8)} ${world} x ${batch}: ${ms(result.median_ms)} a step`);
        times.set(key, [...(times.get(key) ?? []), result.median_ms]);
        losses.set(key, result.loss);
      }
    }
  }
  const t = (impl: Impl, world: number) => median(times.get(`${impl}/${world}`) ?? []);
  const rows = [
    "| CNN + Adam, 128 samples a step, 1 thread a process | Bun | Deno | PyTorch | Bun/PyTorch | Deno/PyTorch |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const { world, batch } of SETUPS) {
    const label = world === 1 ? "one process, batch 128" : `${world} processes (data-parallel), batch ${batch} each`;
    rows.push(
      `| ${label} | ${ms(t("bun", world))} | ${ms(t("deno", world))} | ${ms(t("pytorch", world))} | ` +
        `${ratio(t("bun", world) / t("pytorch", world))} | ${ratio(t("deno", world) / t("pytorch", world))} |`,
    );
  }
  rows.push(
    `| speed-up of 2 processes over one | ${ratio(t("bun", 1) / t("bun", 2))}x | ${ratio(t("deno", 1) / t("deno", 2))}x | ` +
      `${ratio(t("pytorch", 1) / t("pytorch", 2))}x | | |`,
  );
  console.log(rows.join("\n"));
  console.log(`\nMedian step of ${steps} after ${warmup} warm-up steps, median over ${rounds} round(s).`);
  console.log("Final loss (averaged over ranks): " + [...losses].map(([k, v]) => `${k} ${v.toFixed(6)}`).join(", "));
}

main().catch((error) => {
  console.error(`bench:ddp: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
