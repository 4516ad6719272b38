/**
 * Sending Jupyter display messages from code running in the tslab kernel.
 *
 * tslab's public `display` API (`display.html(s)`, `display.raw(type, data)`, …) sends one
 * `display_data` message per call with ONE mime type. A Jupyter display message may carry many
 * mime types at once (the front end picks the richest it can render), and tslab's messaging layer
 * supports that: every execution stores the current cell's writer in the exported
 * `lastWriteDisplayData` of tslab's `dist/jupyter.js`, and the public API just calls it with
 * `{ data: { [type]: value }, metadata, transient }`. We call the same writer with the whole
 * bundle. The kernel's own copy of that module is found in Node's module cache, so this works for
 * a locally or globally installed tslab and never loads a second copy.
 */
import * as Module from "module";

/** A Jupyter mime bundle: mime type → text (binary types base64-encoded). */
export type MimeBundle = Record<string, string | object>;

export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}

type Writer = (msg: DisplayMessage, update: boolean) => void;
type Sink = (msg: DisplayMessage) => void;

let sink: Sink | null = null;

/**
 * Route displays to `fn` instead of the kernel (tests, scripts). `null` restores the default:
 * the tslab kernel when running in one, else text/plain on stdout.
 */
export function setDisplaySink(fn: Sink | null): void {
  sink = fn;
}

const JUPYTER_MODULE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/** The running tslab kernel's display writer for the current cell, or null outside a kernel. */
export function kernelWriter(): Writer | null {
  const cache = (Module as unknown as { _cache: Record<string, { exports?: { lastWriteDisplayData?: unknown } }> })._cache;
  for (const [file, mod] of Object.entries(cache)) {
    if (!JUPYTER_MODULE.test(file)) continue;
    const w = mod.exports?.lastWriteDisplayData;
    if (typeof w === "function") return w as Writer;
  }
  return null;
}

/** True when running inside a tslab kernel (a cell is or was executing). */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}

/** Emit ONE display output carrying every mime type of `data`. */
export function displayBundle(data: MimeBundle, metadata: Record<string, unknown> = {}): void {
  const msg: DisplayMessage = { data, metadata, transient: {} };
  if (sink) {
    sink(msg);
    return;
  }
  const w = kernelWriter();
  if (w) {
    w(msg, false);
    return;
  }
  const text = data["text/plain"];
  process.stdout.write(`${typeof text === "string" ? text : JSON.stringify(text)}\n`);
}
