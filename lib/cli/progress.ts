/** A progress bar on stderr (one line, redrawn), quiet when stderr is not a terminal except every 10%. */
export function progressBar(label: string): (done: number, total: number, errors: number) => void {
  const start = Date.now();
  let lastPct = -1;
  return (done, total, errors) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    const tty = process.stderr.isTTY;
    if (!tty && pct / 10 === lastPct / 10 && done !== total) return;
    if (!tty && Math.floor(pct / 10) === Math.floor(lastPct / 10) && done !== total) return;
    lastPct = pct;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(1, total));
    const secs = (Date.now() - start) / 1000;
    const eta = done ? (secs / done) * (total - done) : 0;
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${pct}% errors ${errors} ${secs.toFixed(1)}s eta ${eta.toFixed(0)}s`;
    process.stderr.write(tty ? `\r${line}${done === total ? "\n" : ""}` : `${line}\n`);
  };
}
