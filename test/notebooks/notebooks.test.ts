/**
 * Every notebook in notebooks/ runs headless without an error cell, and its HTML report draws
 * every plot offline. The notebooks run into a temporary directory: the committed notebooks are
 * never rewritten by tests. A screenshot of each report goes to test-output/screenshots/<name>.png.
 *
 * Needs Jupyter and Chromium: `node scripts/start.js --setup-only` (what .ci/run does) installs them.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { countPlotOutputs, errorCells, type Notebook } from "../../lib/notebook/ipynb";
import { CHROMIUM_ARGS, chromiumPath } from "../../lib/notebook/render";
import type { NotebookResult } from "../../scripts/notebooks";

const NOTEBOOK_DIR = path.join(PROJECT_ROOT, "notebooks");
const SHOTS = path.join(PROJECT_ROOT, "test-output", "screenshots");
const TSX = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const RUNNER = path.join(PROJECT_ROOT, "scripts", "notebooks.ts");

const notebooks = fs.existsSync(NOTEBOOK_DIR)
  ? fs.readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".")).sort()
  : [];

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const readNb = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;

let tmp: string;
let browser: Browser;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-nbtest-"));
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("notebooks", () => {
  it("there is at least one notebook", () => {
    expect(notebooks.length).toBeGreaterThan(0);
  });

  describe.each(notebooks)("%s", (file) => {
    const name = file.replace(/\.ipynb$/, "");
    const committed = path.join(NOTEBOOK_DIR, file);

    it("is committed executed, with outputs, under 2 MB, without an inlined plotly.js", () => {
      const size = fs.statSync(committed).size;
      expect(size).toBeLessThan(2 * 1024 * 1024);
      const nb = readNb(committed);
      expect(nb.metadata.kernelspec).toMatchObject({ name: "tslab" });
      const code = nb.cells.filter((c) => c.cell_type === "code");
      expect(code.map((c) => c.execution_count)).toEqual(code.map((_, i) => i + 1));
      expect(errorCells(nb)).toEqual([]);
      const text = fs.readFileSync(committed, "utf8");
      expect(text).not.toMatch(/plotly\.js v\d+\.\d+\.\d+/);
    });

    it("runs headless without an error cell, and its report draws every plot offline", async () => {
      const before = sha(committed);
      const out = path.join(tmp, name);
      const summaryFile = path.join(out, "summary.json");
      const t0 = Date.now();
      // Asynchronously: a blocking spawnSync would starve vitest's worker of its event loop for minutes.
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(TSX, [RUNNER, file, "--out-dir", out, "--reports-dir", out, "--summary", summaryFile, "--timeout", "240"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), 290_000);
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      });
      const log = `${r.stderr ?? ""}${r.stdout ?? ""}`;
      const [summary] = JSON.parse(fs.readFileSync(summaryFile, "utf8")) as NotebookResult[];
      process.stderr.write(`${name}: runner ${((Date.now() - t0) / 1000).toFixed(1)} s (execute ${summary.execSeconds.toFixed(1)} s, report ${summary.reportSeconds.toFixed(1)} s)\n`);

      // The committed notebook is untouched.
      expect(sha(committed)).toBe(before);
      // Outputs are deterministic, so a difference means the committed outputs are stale: the analysis
      // reviewers read must be what the code computes.
      expect(sha(path.join(out, file)), `notebooks/${file} differs from a fresh run (stale outputs): \`npm run notebooks -- ${name}\` updates it`).toBe(before);

      // No error cell; every code cell executed and numbered.
      const nb = readNb(path.join(out, file));
      expect(errorCells(nb), log).toEqual([]);
      expect(summary.failure, log).toBeNull();
      expect(r.status, log).toBe(0);
      const code = nb.cells.filter((c) => c.cell_type === "code");
      expect(code.map((c) => c.execution_count)).toEqual(code.map((_, i) => i + 1));

      // The report: plotly.js embedded exactly once, nothing fetched from the network.
      const reportFile = path.join(out, `${name}.html`);
      const html = fs.readFileSync(reportFile, "utf8");
      expect(html.match(/plotly\.js v\d+\.\d+\.\d+/g) ?? []).toHaveLength(1);
      expect(html).not.toMatch(/<script[^>]+src=["']?https?:/i);
      expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);

      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const external: string[] = [];
      const pageErrors: string[] = [];
      page.on("request", (req) => {
        if (!/^(file|data|blob|about):/.test(req.url())) external.push(req.url());
      });
      page.on("pageerror", (e) => pageErrors.push(e.message));
      try {
        await page.goto(`file://${reportFile}`, { waitUntil: "load" });
        const expected = countPlotOutputs(nb);
        if (expected > 0) await page.waitForSelector(".js-plotly-plot .main-svg", { timeout: 30_000 });
        const plots = await page.locator(".js-plotly-plot").count();
        const drawn = await page.locator(".js-plotly-plot .main-svg").count();
        await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
        expect(pageErrors).toEqual([]);
        expect(external).toEqual([]);
        expect(plots).toBe(expected);
        expect(drawn).toBeGreaterThanOrEqual(expected);
      } finally {
        await page.close();
      }
    });
  });
});
