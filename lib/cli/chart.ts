/**
 * Charts of a training run: an SVG file (loss and accuracy per epoch) and a
 * compact chart for the terminal.
 *
 * @module
 */

/** One epoch of a training run. */
export interface EpochRecord {
  loss: number;
  /** Test accuracy in [0, 1]. */
  accuracy: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/**
 * An SVG document with two panels: training loss and test accuracy per epoch.
 *
 * @example
 * ```ts
 * writeFileSync("run.svg", trainingChartSvg([{ loss: 0.6, accuracy: 0.8 }, { loss: 0.4, accuracy: 0.85 }], "cnn"));
 * ```
 */
export function trainingChartSvg(records: readonly EpochRecord[], title: string): string {
  const width = 660, height = 260, panelWidth = 270, panelHeight = 170, top = 50;
  const panel = (x0: number, label: string, values: number[], format: (v: number) => string, color: string): string => {
    const lo = Math.min(...values), hi = Math.max(...values);
    const span = hi - lo || Math.abs(hi) || 1;
    const min = lo - span * 0.1, max = hi + span * 0.1;
    const px = (i: number) => x0 + (values.length === 1 ? panelWidth / 2 : (i / (values.length - 1)) * panelWidth);
    const py = (v: number) => top + panelHeight - ((v - min) / (max - min)) * panelHeight;
    const points = values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    const dots = values.map((v, i) =>
      `<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"><title>epoch ${i + 1}: ${format(v)}</title></circle>`
    ).join("");
    return `<g font-family="sans-serif" font-size="11" fill="#333">` +
      `<rect x="${x0}" y="${top}" width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#ccc"/>` +
      `<text x="${x0}" y="${top - 8}" font-size="13">${escapeXml(label)}</text>` +
      `<text x="${x0 - 4}" y="${py(hi) + 4}" text-anchor="end">${format(hi)}</text>` +
      `<text x="${x0 - 4}" y="${py(lo) + 4}" text-anchor="end">${format(lo)}</text>` +
      `<text x="${x0}" y="${top + panelHeight + 16}">epoch 1</text>` +
      `<text x="${x0 + panelWidth}" y="${top + panelHeight + 16}" text-anchor="end">epoch ${values.length}</text>` +
      `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>${dots}</g>`;
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="20" y="24" font-family="sans-serif" font-size="15" fill="#111">${escapeXml(title)}</text>` +
    panel(50, "training loss", records.map((r) => r.loss), (v) => v.toFixed(3), "#d9480f") +
    panel(380, "test accuracy", records.map((r) => r.accuracy), (v) => `${(v * 100).toFixed(1)}%`, "#1971c2") +
    `</svg>\n`;
}

const BARS = "▁▂▃▄▅▆▇█";

function sparkline(values: readonly number[]): string {
  const lo = Math.min(...values), hi = Math.max(...values);
  return values.map((v) => BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join("");
}

/**
 * Two lines for the terminal: loss and accuracy per epoch as sparklines, first to last.
 *
 * @example
 * ```ts
 * console.log(terminalChart(records));
 * // loss      ▇▃▁  0.612 → 0.401
 * // accuracy  ▁▆█  80.1% → 85.3%
 * ```
 */
export function terminalChart(records: readonly EpochRecord[]): string {
  const losses = records.map((r) => r.loss), accuracies = records.map((r) => r.accuracy);
  const first = records[0], last = records[records.length - 1];
  return `loss      ${sparkline(losses)}  ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)}\n` +
    `accuracy  ${sparkline(accuracies)}  ${(first.accuracy * 100).toFixed(1)}% → ${(last.accuracy * 100).toFixed(1)}%`;
}
