// Shared by the distributed tests: free loopback ports, and ranks started as
// child processes of the runtime running the test (or /usr/bin/python3), each
// killed if it outlives its deadline so a bug never hangs the suite.
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const runtime: "deno" | "bun" = "Deno" in globalThis ? "deno" : "bun";

/** A port nobody listens on right now (the launcher's own helper). */
export { freePort } from "../lib/dist/launch.ts";

/** The command that runs a TypeScript file with this test's runtime (or another). */
export function tsCommand(script: string, args: string[] = [], which = runtime): [string, string[]] {
  const bin = join(root, "node_modules", ".bin", which);
  return which === "deno" ? [bin, ["run", "-A", script, ...args]] : [bin, [script, ...args]];
}

export interface Finished {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to exit. */
  elapsed: number;
  /** Whether the deadline killed it. */
  killed: boolean;
}

/** Runs a command to its end (or kills it at `deadline` ms) with extra environment variables. */
export function run(command: [string, string[]], env: Record<string, string>, deadline = 30_000): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command[0], command[1], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", killed = false;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, deadline);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, elapsed: Date.now() - started, killed });
    });
  });
}

/** The environment of rank `rank` in a world of `worldSize` meeting at 127.0.0.1:`port`. */
export function rankEnv(rank: number, worldSize: number, port: number, extra: Record<string, string> = {}): Record<string, string> {
  // GLOO_SOCKET_IFNAME keeps Python's Gloo on loopback too.
  return { RANK: String(rank), WORLD_SIZE: String(worldSize), MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), GLOO_SOCKET_IFNAME: "lo", ...extra };
}

/** The last line of a rank's output, parsed as JSON (the fixtures print their results there). */
export function lastJson<T>(finished: Finished): T {
  const lines = finished.stdout.trim().split("\n");
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    throw new Error(`no result (status ${finished.status}, signal ${finished.signal}):\n${finished.stdout}\n${finished.stderr}`);
  }
}
