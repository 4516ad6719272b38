/**
 * `mantile reconcile` as a user runs it (a real process): the standard-CSV fixture → comparison,
 * calibration with k-fold cross-validation, and the HTML report rendered from notebooks/00_your_benchmark.ipynb
 * with the command's parameters; the report states the Mantile commit, data files and calibration, and
 * is listed in the reports index. The report opens offline in Chromium with its plots drawn.
 *
 * Needs Jupyter and Chromium: `node scripts/start.js --setup-only` installs them.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/core/paths";
import { countPlotOutputs, errorCells, type Notebook } from "../../lib/notebook/ipynb";
import { INJECTED_TAG } from "../../lib/notebook/params";
import type { ReportEntry } from "../../lib/notebook/report-index";
import { CHROMIUM_ARGS, chromiumPath } from "../../lib/notebook/render";

const FIXTURE = path.join(PROJECT_ROOT, "test", "fixtures", "importers", "standard", "results.csv");
/** How the report names the fixture: relative to the checkout root, where the kernel runs. */
const FIXTURE_REL = path.relative(PROJECT_ROOT, FIXTURE);
const SHOTS = path.join(PROJECT_ROOT, "test-output", "screenshots");
let tmp: string;
let out: string;
let reportsDir: string;
let run: { status: number | null; stdout: string; stderr: string };
let browser: Browser;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-reconcile-report-"));
  out = path.join(tmp, "out");
  reportsDir = path.join(tmp, "reports");
  // Few loss evaluations: this checks the wiring of --calibrate, not the quality of a fit.
  // Asynchronously: a blocking spawnSync would starve vitest's worker of its event loop for minutes.
  run = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin", "mantile.js"), "reconcile", "--input", FIXTURE, "--out", out, "--calibrate", "--folds", "3", "--max-evals", "6", "--cv-evals", "3"],
      { cwd: PROJECT_ROOT, env: { ...process.env, MANTILE_REPORTS_DIR: reportsDir }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}, 660_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const log = () => `${run.stderr ?? ""}\n${run.stdout ?? ""}`.slice(-4000);

describe("mantile reconcile --calibrate with its report", () => {
  it("exits 0 and writes the comparison, the fitted profile, the calibrated comparison and the report", () => {
    expect(run.status, log()).toBe(0);
    for (const f of ["benchmark.csv", "assumptions.md", "mantile_predictions.csv", "comparison_report.csv", "comparison_summary.txt", "calibration.json", "calibrated/comparison_summary.txt", "report.ipynb", "report.html", "report.json"]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    const summary = fs.readFileSync(path.join(out, "comparison_summary.txt"), "utf8");
    expect(summary).toContain("Coverage: 3 of 3 rows predicted (100.0%)");
    // Calibration: a fitted profile with k-fold held-out errors, quoted in the summary.
    const cal = JSON.parse(fs.readFileSync(path.join(out, "calibration.json"), "utf8"));
    expect(Object.keys(cal.cross_validation)).toEqual(["3-fold"]);
    expect(summary).toContain(`3-fold held out MAPE (n=3):  throughput ${cal.cross_validation["3-fold"].throughput_mape}%`);
  });

  it("the report notebook ran with the command's parameters injected, without an error", () => {
    const nb = JSON.parse(fs.readFileSync(path.join(out, "report.ipynb"), "utf8")) as Notebook;
    expect(errorCells(nb)).toEqual([]);
    const injected = nb.cells.find((c) => (c.metadata.tags as string[] | undefined)?.includes(INJECTED_TAG));
    const src = Array.isArray(injected?.source) ? injected!.source.join("") : String(injected?.source);
    expect(src).toContain(`const input: string = ${JSON.stringify(path.join(out, "benchmark.csv"))};`);
    expect(src).toContain(`const fitted_profile: string = ${JSON.stringify(path.join(out, "calibration.json"))};`);
  });

  it("its headline figures are the comparison's, and it is listed in the index with the commit", () => {
    const entry = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as ReportEntry;
    const headline = new Map(entry.headline);
    expect(headline.get("rows predicted")).toBe("3 of 3");
    // "throughput    3    39.7 …" in comparison_summary.txt ↔ the headline's throughput MAPE (both to 0.1%).
    const line = fs.readFileSync(path.join(out, "comparison_summary.txt"), "utf8").split("\n").find((l) => l.startsWith("throughput "))!;
    expect(headline.get("throughput/GPU MAPE %")).toBe(Number(line.trim().split(/\s+/)[2]));
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
    expect(entry.version).toContain(`commit ${commit}`);
    expect(entry.data).toContain(FIXTURE_REL);
    expect(entry.calibration).toContain("fitted here");
    const index = fs.readFileSync(path.join(reportsDir, "index.html"), "utf8");
    expect(index).toContain(`file://${path.join(out, "report.html")}`);
    expect(index).toContain("rows predicted: <b>3 of 3</b>");
  });

  it("opens offline in Chromium: provenance header and footer, every plot drawn, the explained numbers", async () => {
    const file = path.join(out, "report.html");
    const nb = JSON.parse(fs.readFileSync(path.join(out, "report.ipynb"), "utf8")) as Notebook;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const external: string[] = [];
    const pageErrors: string[] = [];
    page.on("request", (req) => {
      if (!/^(file|data|blob|about):/.test(req.url())) external.push(req.url());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    try {
      await page.goto(`file://${file}`, { waitUntil: "load" });
      await page.waitForSelector(".js-plotly-plot .main-svg", { timeout: 30_000 });
      const header = await page.locator("#mantile-provenance-header").innerText();
      const footer = await page.locator("#mantile-provenance-footer").innerText();
      expect(header).toMatch(/Mantile \d+\.\d+\.\d+, commit [0-9a-f]{12}/);
      expect(header).toContain(FIXTURE_REL);
      expect(footer).toContain("Calibration: fitted here");
      expect(footer).toContain("Parameters:");
      expect(await page.locator(".js-plotly-plot").count()).toBe(countPlotOutputs(nb));
      expect(await page.locator("table.mantile-table caption", { hasText: "Explained numbers" }).count()).toBe(1);
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, "reconcile-report.png"), fullPage: true });
      expect(pageErrors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
