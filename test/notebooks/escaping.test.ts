/**
 * Reports are safe: strings from data (model ids, labels, category names) render as text in the HTML of
 * tables and plots, checked in headless Chromium — no script from data runs, and the text shows as written.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { chromiumPath, closeRenderer, figureBundle, plotlyBundlePath, tableBundle } from "../../lib/notebook/index";
import { barChart, predictedVsActual, textSafeFigure } from "../../lib/plots/index";

afterAll(() => closeRenderer());

/** Each would run script or add markup if it reached the page as HTML. */
const HOSTILE = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(2)</script>",
  "</script><script>alert(3)</script>",
  '"><svg onload=alert(4)>',
  "&lt;b&gt;entity&lt;/b&gt;",
];
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

interface Page {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: string): Promise<R>;
  waitForFunction(fn: string): Promise<unknown>;
}

type Browser = { newPage(): Promise<Page>; close(): Promise<void> };

async function withBrowser(run: (open: (file: string) => Promise<Page>) => Promise<void>): Promise<void> {
  const { chromium } = require("playwright-core") as { chromium: { launch(o: object): Promise<Browser> } };
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ARGS, headless: true });
  try {
    await run(async (file) => {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      return page;
    });
  } finally {
    await browser.close();
  }
}

describe("HTML reports render data as text", () => {
  it("tables, plot legends, titles, category labels and hover labels show hostile strings literally and run none of them", async () => {
    const rows = HOSTILE.map((s, i) => ({ model: s, throughput: 100 + i }));
    const table = tableBundle(rows, { caption: HOSTILE[0] })["text/html"] as string;
    const bars = barChart(HOSTILE, [{ name: HOSTILE[0], values: HOSTILE.map((_, i) => i + 1) }, { name: HOSTILE[1], values: HOSTILE.map(() => 1) }], { title: HOSTILE[2] });
    const scatter = predictedVsActual(HOSTILE.map((s, i) => ({ actual: 10 + i, predicted: 11 + i, label: s, group: HOSTILE[i % 2] })));
    // The static SVG (drawn now in Chromium) goes inside each plot's div, as reports show it without plotly.js.
    const barHtml = (await figureBundle(bars))["text/html"] as string;
    const scatterHtml = (await figureBundle(scatter))["text/html"] as string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-xss-"));
    const hook = `<script>window.__ran = []; window.alert = function (x) { window.__ran.push(String(x)); };</script>`;
    const body = `<h1>report</h1>\n${table}\n<div id="bars">${barHtml}</div>\n<div id="scatter">${scatterHtml}</div>`;
    const withPlotly = path.join(dir, "interactive.html");
    fs.writeFileSync(withPlotly, `<!doctype html><html><head><meta charset="utf-8">${hook}<script src="file://${plotlyBundlePath()}"></script></head><body>${body}</body></html>`);
    const staticOnly = path.join(dir, "static.html");
    fs.writeFileSync(staticOnly, `<!doctype html><html><head><meta charset="utf-8">${hook}</head><body>${body}</body></html>`);

    await withBrowser(async (open) => {
      for (const file of [staticOnly, withPlotly]) {
        const page = await open(file);
        if (file === withPlotly) {
          await page.waitForFunction(`document.querySelectorAll("#scatter .js-plotly-plot .legendtext").length > 0`);
          // Show the hover label of the first point of each trace of the scatter plot.
          await page.evaluate(`(() => { const el = document.querySelector("#scatter .js-plotly-plot"); Plotly.Fx.hover(el, [{ curveNumber: 0, pointNumber: 0 }]); })()`);
        }
        await new Promise((r) => setTimeout(r, 300)); // let an injected onerror/onload fire if there were one
        expect(await page.evaluate<string[]>("window.__ran")).toEqual([]);
        // No element came from data: the only images/svgs/scripts are the page's own.
        expect(await page.evaluate<number>(`document.querySelectorAll("img").length`)).toBe(0);
        expect(await page.evaluate<number>(`[...document.querySelectorAll("svg")].filter((s) => s.getAttribute("onload")).length`)).toBe(0);
        const tableText = await page.evaluate<string>(`document.querySelector("table.mantile-table").innerText`);
        for (const s of HOSTILE) expect(tableText).toContain(s);
        const legend = await page.evaluate<string>(`[...document.querySelectorAll("#bars .legendtext")].map((e) => e.textContent).join("\\n")`);
        expect(legend).toContain(HOSTILE[0]);
        expect(legend).toContain(HOSTILE[1]);
        const svgText = await page.evaluate<string>(`document.querySelector("#bars svg.main-svg").parentElement.textContent`);
        expect(svgText).toContain(HOSTILE[2]); // the title
        for (const s of HOSTILE) expect(svgText).toContain(s); // category tick labels
        if (file === withPlotly) {
          const hover = await page.evaluate<string>(`document.querySelector("#scatter .hoverlayer").textContent`);
          expect(hover).toContain(HOSTILE[0]); // the point's label (%{text})
          expect(hover).toContain(HOSTILE[0]); // and the trace name in <extra>
        }
      }
    });
  });

  it("escapes only what Plotly reads as markup, in data strings, and keeps the library's hover templates", () => {
    const fig = barChart(["a<b", "c&d"], [{ name: "<i>x</i>", values: [1, 2] }], { title: "t>1" });
    const safe = textSafeFigure(fig);
    // & first, then < and > (Plotly decodes &amp; &lt; &gt; back when it draws text).
    expect(safe.data[0].x).toEqual(["a&lt;b", "c&amp;d"]);
    expect(safe.data[0].name).toBe("&lt;i&gt;x&lt;/i&gt;");
    expect(safe.layout.title?.text).toBe("t&gt;1");
    // The template is the library's markup; the name inside <extra> was escaped when the figure was built.
    expect(safe.data[0].hovertemplate).toBe("%{x}: %{y:.4g}<extra>&lt;i&gt;x&lt;/i&gt;</extra>");
    expect(safe.data[0].type).toBe("bar");
  });
});
