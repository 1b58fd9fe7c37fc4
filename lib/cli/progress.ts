/**
 * Training progress for people: a live bar on a terminal, one plain line per
 * epoch in logs and pipes.
 *
 * @module
 */

/** Where progress goes: a writable stream with an optional terminal flag. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Draws a per-epoch progress bar with loss, samples/s and ETA on a terminal
 * (redrawn at most ten times a second); without a terminal, prints only the
 * summary line of each epoch.
 *
 * @example
 * ```ts
 * const progress = new EpochProgress(process.stdout, 2, 60000);
 * progress.update(0, 12800, 0.61);
 * progress.finishEpoch(0, 0.55, "test accuracy 84.1%");
 * ```
 */
export class EpochProgress {
  #started = performance.now();
  #lastDraw = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly epochs: number,
    private readonly samplesPerEpoch: number,
  ) {}

  /** Starts timing a new epoch. */
  startEpoch(): void {
    this.#started = performance.now();
    this.#lastDraw = 0;
  }

  /** Reports `samples` seen so far in `epoch` and the latest batch loss. */
  update(epoch: number, samples: number, loss: number): void {
    if (!this.sink.isTTY) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && samples < this.samplesPerEpoch) return;
    this.#lastDraw = now;
    const seconds = (now - this.#started) / 1000;
    const rate = samples / Math.max(seconds, 1e-9);
    const done = samples / this.samplesPerEpoch;
    const width = 24;
    const filled = Math.round(done * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const eta = clock((this.samplesPerEpoch - samples) / rate);
    this.sink.write(
      `\r\x1b[2Kepoch ${epoch + 1}/${this.epochs} ${bar} ${(done * 100).toFixed(0).padStart(3)}%  ` +
        `loss ${loss.toFixed(4)}  ${Math.round(rate).toLocaleString("en-US")} samples/s  ETA ${eta}`,
    );
  }

  /** Ends the epoch with its mean loss and any extra text (e.g. test accuracy). */
  finishEpoch(epoch: number, meanLoss: number, extra = ""): void {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = Math.round(this.samplesPerEpoch / Math.max(seconds, 1e-9)).toLocaleString("en-US");
    const line = `epoch ${epoch + 1}/${this.epochs}  loss ${meanLoss.toFixed(4)}  ${seconds.toFixed(seconds < 10 ? 2 : 1)} s  ${rate} samples/s` +
      (extra ? `  ${extra}` : "");
    this.sink.write(this.sink.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
