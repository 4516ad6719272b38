/**
 * A progress bar on stderr for streamed work: share done (of the input's bytes: the row count is not known
 * until the end), rows, rate and ETA. Redrawn in place on a terminal; otherwise one line per 10% step.
 */
import type { PredictProgress } from "../reconcile/predict-file";

/** Width of the bar in characters, and the shortest time between redraws on a terminal. */
const BAR_WIDTH = 30;
const REDRAW_MS = 200;
/** Without a terminal, print a line each time this share of the input is passed. */
const LOG_STEP = 0.1;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The line shown for a progress state after `seconds` of this run. */
export function progressLine(label: string, p: PredictProgress, seconds: number): string {
  const fraction = Math.min(1, Math.max(0, p.fraction));
  const filled = Math.round(BAR_WIDTH * fraction);
  const now = p.done - p.kept;
  const rate = seconds > 0 ? now / seconds : 0;
  // ETA from the share of the input this run has covered (rows kept by --resume were not predicted now).
  const covered = (fraction - p.keptFraction) / Math.max(1e-9, 1 - p.keptFraction);
  const eta = p.finished || fraction >= 1 ? 0 : covered > 0 && now > 0 ? (seconds * (1 - covered)) / covered : Infinity;
  const kept = p.kept ? ` (${p.kept} kept)` : "";
  return `${label} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${Math.floor(100 * fraction)}% ${p.done} rows${kept} ${rate.toFixed(rate < 10 ? 1 : 0)} rows/s errors ${p.errors} ${formatDuration(seconds)} eta ${formatDuration(eta)}`;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (p: PredictProgress) => void {
  const start = Date.now();
  let lastDraw = 0;
  let lastStep = -1;
  let lastDone = -1;
  return (p) => {
    const now = Date.now();
    const tty = Boolean(stream.isTTY);
    const step = Math.floor(p.fraction / LOG_STEP);
    if (!p.finished && (tty ? now - lastDraw < REDRAW_MS : step === lastStep)) return;
    if (p.finished && !tty && lastDone === p.done) return; // the last step's line already said it
    lastDraw = now;
    lastStep = step;
    lastDone = p.done;
    const line = progressLine(label, p, (now - start) / 1000);
    // On a terminal: back to the line start, draw, clear what a longer previous line left.
    stream.write(tty ? `\r${line}\x1b[K${p.finished ? "\n" : ""}` : `${line}\n`);
  };
}
