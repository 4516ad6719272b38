/**
 * `npm run lab` for real: scripts/lab.js starts Jupyter Notebook (a child process), a headless Chromium
 * opens notebooks/00_your_benchmark.ipynb through the notebook UI and runs every cell (Kernel → Restart &
 * Run All), a Plotly figure and the explained-number table render; then SIGINT stops the server, and the
 * server, the kernel and the kernel's own headless Chromium are all gone.
 *
 * The notebook is never saved (autosave is switched off in the page), so the committed file is unchanged.
 * Needs Debian's jupyter-notebook (scripts/lab.js installs it when missing) and Chromium.
 */
import { spawn, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { chromiumPath } from "../../lib/notebook/render";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const proc = require("../../scripts/proc.js") as {
  descendants(pid: number): { pid: number; start: string }[];
  isAlive(p: { pid: number; start: string }): boolean;
  describe(p: { pid: number; start: string }): string;
};

const NOTEBOOK = "notebooks/00_your_benchmark.ipynb";
const SHOTS = path.join(PROJECT_ROOT, "test-output", "screenshots");
/** The flags the brief gives for headless Chromium in this project's tests. */
const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const RUN_ALL_TIMEOUT_MS = 420_000;

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

let lab: ChildProcess;
let labLog = "";
let url = "";
let exit: Promise<number | null>;
let browser: BrowserContext;
let userDataDir: string;
const before = sha(path.join(PROJECT_ROOT, NOTEBOOK));

beforeAll(async () => {
  lab = spawn(process.execPath, [path.join(PROJECT_ROOT, "scripts", "lab.js")], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  exit = new Promise((resolve) => lab.on("exit", (code) => resolve(code)));
  lab.stderr!.on("data", (d) => (labLog += d));
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`no URL from scripts/lab.js within 180 s:\n${labLog.slice(-3000)}`)), 180_000);
    lab.stdout!.on("data", (d) => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/tree\?token=[0-9a-f]+)$/m.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    lab.on("exit", (code) => reject(new Error(`scripts/lab.js exited (${code}) before printing a URL:\n${labLog.slice(-3000)}`)));
  });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-lab-chromium-"));
  // A fresh profile (--user-data-dir), which playwright takes as a persistent context.
  browser = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath(), args: BROWSER_ARGS, headless: true, viewport: { width: 1300, height: 1000 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (lab && lab.exitCode === null) {
    lab.kill("SIGINT");
    await exit;
  }
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

/** Click a menu item of the classic Notebook UI (menu id, then item id; `hover` opens a submenu first). */
async function menu(page: Page, menuId: string, itemId: string, hover?: string): Promise<void> {
  await page.click(`#${menuId}`);
  if (hover) await page.hover(`#${hover}`);
  await page.click(`#${itemId}`);
}

describe("npm run lab", () => {
  it("prints a 127.0.0.1 URL with a token that the server accepts, and refuses without it", async () => {
    const base = url.split("/tree")[0];
    const token = url.split("token=")[1];
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect((await fetch(`${base}/api/status?token=${token}`)).status).toBe(200);
    expect((await fetch(`${base}/api/status`)).status).toBe(403);
  });

  it("runs the 00 notebook through the notebook UI: a Plotly figure and the explained numbers render", async () => {
    const base = url.split("/tree")[0];
    const token = url.split("token=")[1];
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${base}/notebooks/${NOTEBOOK}?token=${token}`);
      await page.waitForFunction(() => {
        const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
        return !!J?.notebook?.kernel?.is_connected();
      }, null, { timeout: 120_000 });
      // Never save: the committed notebook must not change.
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { set_autosave_interval(ms: number): void } } }).Jupyter.notebook.set_autosave_interval(0));
      await menu(page, "celllink", "clear_all_output", "all_outputs");
      await menu(page, "kernellink", "restart_run_all");
      await page.click(".modal-footer button.btn-danger"); // "Restart and Run All Cells"
      // Done when every code cell has its execution number and the kernel is idle (or a cell failed).
      await page.waitForFunction(() => {
        type Cell = { cell_type: string; input_prompt_number?: number | string | null };
        const nb = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[]; kernel_busy: boolean } } }).Jupyter.notebook;
        if (document.querySelector(".output_error")) return true;
        const code = nb.get_cells().filter((c) => c.cell_type === "code");
        return code.every((c) => typeof c.input_prompt_number === "number") && !nb.kernel_busy;
      }, null, { timeout: RUN_ALL_TIMEOUT_MS, polling: 1000 });
      const errors = await page.locator(".output_error").allInnerTexts();
      expect(errors).toEqual([]);
      // The classic UI shows show()'s text/html output: the static SVG Plotly drew at execution time
      // (interactive plotly.js is not loaded by Notebook 6), or the interactive plot where it is.
      const figures = await page.locator(".output_area .mantile-plot svg.main-svg, .output_area .js-plotly-plot").count();
      expect(figures).toBeGreaterThanOrEqual(1);
      const explained = page.locator(".output_area table.mantile-table", { has: page.locator("caption", { hasText: "Explained numbers" }) });
      expect(await explained.count()).toBe(1);
      expect(await explained.locator("tbody tr").count()).toBeGreaterThan(3);
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, "lab-00_your_benchmark.png"), fullPage: false });
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  }, RUN_ALL_TIMEOUT_MS + 180_000);

  it("SIGINT stops the server and every process it started (kernel, its Chromium); the notebook is unchanged", async () => {
    const port = Number(new URL(url).port);
    const tree = proc.descendants(lab.pid!);
    // python3 -m notebook, and the tslab kernel (node … launch.js kernel) it started for the page above.
    expect(tree.map(proc.describe).join("\n")).toMatch(/-m notebook/);
    expect(tree.map(proc.describe).join("\n")).toMatch(/launch\.js kernel/);
    lab.kill("SIGINT");
    expect(await exit).toBe(0);
    expect(labLog).toMatch(/stopped \(\d+ process\(es\) it had started are gone\)/);
    expect(tree.filter(proc.isAlive).map(proc.describe)).toEqual([]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => (s.destroy(), resolve(false)));
      s.on("error", () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(sha(path.join(PROJECT_ROOT, NOTEBOOK))).toBe(before);
  }, 60_000);
});
