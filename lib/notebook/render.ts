/**
 * Static rendering of Plotly figures to SVG with headless Chromium (playwright-core) and the
 * plotly.js bundle from node_modules/plotly.js-dist. One browser page per process, launched on
 * first use, reused by every later call, and closed when the process exits.
 *
 * A notebook kernel must be free to exit when Jupyter shuts it down, so the browser's process and
 * pipes are unref'd once launched; a timer holds the event loop only while a render is running.
 * If the kernel is killed outright, Chromium exits by itself when its control pipe closes.
 */
import * as fs from "fs";
import { PROJECT_ROOT } from "../core/paths";
import type { Figure } from "../plots/types";

/** Chromium flags for headless use in containers and CI. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The Chromium binary: $MANTILE_CHROMIUM, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  const candidates = [process.env.MANTILE_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  throw new Error(
    "Chromium not found (looked at $MANTILE_CHROMIUM, /usr/bin/chromium): run `npm start` " +
      "(it installs Debian's chromium) or set MANTILE_CHROMIUM to a Chromium binary",
  );
}

/** Path of the plotly.js bundle shipped by the plotly.js-dist package. */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist/plotly.js", { paths: [PROJECT_ROOT] });
}

// Minimal shapes of the playwright-core objects used here (its own typings need the DOM lib,
// which the tslab kernel's compiler does not load).
interface PwPage {
  addScriptTag(opts: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: string | ((arg: A) => R | Promise<R>), arg?: A): Promise<R>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
  isConnected(): boolean;
}
interface PwChromium {
  launch(opts: { executablePath: string; args: string[]; headless?: boolean }): Promise<PwBrowser>;
}

interface Renderer {
  browser: PwBrowser;
  page: PwPage;
  child: { pid?: number; kill(sig?: string): boolean } | null;
}

let renderer: Promise<Renderer> | null = null;
let current: Renderer | null = null;
let queue: Promise<unknown> = Promise.resolve();
let exitHookInstalled = false;

/** Run `fn` while holding the event loop open (the browser's own handles are unref'd). */
async function holdingLoop<T>(fn: () => Promise<T>): Promise<T> {
  const t = setInterval(() => undefined, 1 << 30);
  try {
    return await fn();
  } finally {
    clearInterval(t);
  }
}

function activeHandles(): unknown[] {
  const p = process as unknown as { _getActiveHandles?: () => unknown[] };
  return typeof p._getActiveHandles === "function" ? p._getActiveHandles() : [];
}

async function launch(): Promise<Renderer> {
  const { chromium } = require("playwright-core") as { chromium: PwChromium };
  const before = new Set(activeHandles());
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  // Find the browser's child process among the handles created by launch() and let the
  // process exit without waiting for it.
  type Child = { pid?: number; kill(sig?: string): boolean; unref(): void; stdio?: unknown[] };
  let child: Child | null = null;
  for (const h of activeHandles()) {
    if (before.has(h) || !h || (h as object).constructor?.name !== "ChildProcess") continue;
    child = h as Child;
    child.unref();
    for (const s of child.stdio ?? []) {
      const u = s as { unref?: () => void } | null;
      if (u && typeof u.unref === "function") u.unref();
    }
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      // Synchronous: the event loop is gone. Kill the browser we launched, by its pid.
      if (current?.child?.pid) {
        try {
          current.child.kill("SIGKILL");
        } catch {
          /* already gone */
        }
      }
    });
  }
  const page = await browser.newPage();
  await page.addScriptTag({ path: plotlyBundlePath() });
  const r: Renderer = { browser, page, child };
  current = r;
  return r;
}

async function getRenderer(): Promise<Renderer> {
  if (renderer) {
    const r = await renderer.catch(() => null);
    if (r && r.browser.isConnected()) return r;
  }
  renderer = launch();
  renderer.catch(() => {
    renderer = null;
  });
  return renderer;
}

export interface RenderOptions {
  /** Pixel size of the image; default the figure's layout size or 760 × 460. */
  width?: number;
  height?: number;
}

/** Render a figure to an SVG document string. */
export function renderSvg(fig: Figure, opts: RenderOptions = {}): Promise<string> {
  const width = opts.width ?? (typeof fig.layout.width === "number" ? fig.layout.width : 760);
  const height = opts.height ?? (typeof fig.layout.height === "number" ? fig.layout.height : 460);
  const job = queue.then(() =>
    holdingLoop(async () => {
      const { page } = await getRenderer();
      const url = await page.evaluate(
        (a: { fig: Figure; width: number; height: number }) =>
          (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly.toImage(
            { data: a.fig.data, layout: a.fig.layout },
            { format: "svg", width: a.width, height: a.height },
          ),
        { fig, width, height },
      );
      const comma = url.indexOf(",");
      const body = url.slice(comma + 1);
      return url.slice(0, comma).endsWith(";base64")
        ? Buffer.from(body, "base64").toString("utf8")
        : decodeURIComponent(body);
    }),
  );
  queue = job.catch(() => undefined);
  return job;
}

/** Close the shared browser (also done automatically at process exit). */
export async function closeRenderer(): Promise<void> {
  const r = renderer;
  renderer = null;
  current = null;
  if (!r) return;
  const got = await r.catch(() => null);
  if (got) await holdingLoop(() => got.browser.close().catch(() => undefined));
}

/** For diagnostics: the bundle's size in bytes. */
export function plotlyBundleSize(): number {
  return fs.statSync(plotlyBundlePath()).size;
}
