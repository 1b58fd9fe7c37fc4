#!/usr/bin/env bun
/**
 * The `torchffi` command: build the native library for an installed package
 * (`setup`), train the seed's models on MNIST-format data, evaluate saved
 * weights and launch the ranks of a data-parallel script (`run`). Runs with `npx torchffi` in a project that installed the package,
 * or `bun lib/cli.ts` / `deno run -A lib/cli.ts` in a checkout.
 *
 * `setup` needs only Node's standard modules; the other commands load the
 * native library, so they are imported only when they run.
 *
 * Exit status: 0 on success, 2 for a bad flag or a missing file (one line on
 * stderr), 1 for any other failure.
 *
 * @module
 */
import process from "node:process";
import { type CliIo, UsageError } from "./cli/args.ts";
import { runSetup } from "./cli/setup.ts";
import { VERSION } from "./version.ts";

export { type CliIo, UsageError } from "./cli/args.ts";

const MAIN_HELP = `torchffi ${VERSION}: tensors and training on LibTorch for Deno and Bun

Usage:
  torchffi setup              build the native library for this machine (once per version)
  torchffi train [options]    train a model, report test accuracy, save weights and a chart
  torchffi eval --weights F   test accuracy and confusion matrix of saved weights
  torchffi run --nproc N script.ts [args...]
                              start N ranks of a data-parallel script (like torchrun)
  torchffi <command> --help   options of a command
`;

/**
 * Whether `command` needs Bun or Deno rather than Node: to load LibTorch, or
 * (`run`) to start ranks that do.
 *
 * @example
 * ```ts
 * needsTorch("setup"); // false
 * needsTorch("train"); // true
 * ```
 */
export function needsTorch(command: string | undefined): boolean {
  // `run` loads no LibTorch itself, but its ranks run on the runtime running it.
  return command === "train" || command === "eval" || command === "run";
}

/**
 * Runs the command line `args` (without the program name) and resolves to the
 * exit status.
 *
 * @example
 * ```ts
 * const status = await main(["train", "--model", "ffn", "--limit", "1000"]);
 * ```
 */
export async function main(args: string[], io: CliIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out.write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-v") {
      io.out.write(`${VERSION}\n`);
      return 0;
    }
    if (command === "setup") return runSetup(rest, io);
    if (command === "run") {
      const { runLaunch } = await import("./cli/run.ts");
      return await runLaunch(rest, io);
    }
    if (needsTorch(command)) {
      const { runEval, runTrain } = await import("./cli/train.ts");
      return command === "train" ? runTrain(rest, io) : runEval(rest, io);
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)} (expected setup, train, eval or run; see torchffi --help)`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`torchffi: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err.write(`${message.startsWith("torchffi") ? "" : "torchffi: "}${message}\n`);
    return 1;
  }
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  main(process.argv.slice(2)).then((status) => process.exitCode = status);
}
