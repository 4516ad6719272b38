import * as Module from "module";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  countPlotOutputs,
  embedPlotlyBundle,
  errorCells,
  stringifyNotebook,
  stripBundleFromHtml,
  tidyExecutedNotebook,
  BUNDLE_PLACEHOLDER,
  type Notebook,
} from "../../lib/notebook/ipynb";
import {
  closeRenderer,
  displayBundle,
  figureBundle,
  formatCell,
  markdown,
  scriptJson,
  setDisplaySink,
  show,
  table,
  tableBundle,
  PLOTLY_MIME,
  type DisplayMessage,
} from "../../lib/notebook/index";
import { barChart } from "../../lib/plots/index";

const captured: DisplayMessage[] = [];
const capture = () => {
  captured.length = 0;
  setDisplaySink((m) => captured.push(m));
};
afterEach(() => setDisplaySink(null));
afterAll(() => closeRenderer());

const fig = barChart(["a", "b"], [{ name: "s", values: [1, 2] }], { title: "two bars" });

describe("show", () => {
  it("emits ONE display message with plotly JSON, SVG, HTML and text", async () => {
    capture();
    await show(fig);
    expect(captured).toHaveLength(1);
    const d = captured[0].data;
    expect(Object.keys(d).sort()).toEqual([PLOTLY_MIME, "image/svg+xml", "text/html", "text/plain"].sort());
    expect(d[PLOTLY_MIME]).toEqual({ data: fig.data, layout: fig.layout });
    const svg = d["image/svg+xml"] as string;
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("main-svg");
    expect(svg).toContain("two bars");
    const html = d["text/html"] as string;
    expect(html).toContain("window.Plotly.newPlot");
    expect(html).toMatch(/if \(!el \|\| !window\.Plotly\) return;/);
    expect(html).toContain("<svg"); // static fallback inside the div
    expect(html.length).toBeLessThan(100_000); // no plotly.js bundle inline
    expect(d["text/plain"]).toBe('<Plotly figure "two bars": 1 trace(s): bar>');
  });

  it("reuses the browser: a second figure renders fast", async () => {
    const t0 = Date.now();
    const b = await figureBundle(barChart(["x"], [{ name: "s", values: [3] }]));
    expect(b["image/svg+xml"]).toMatch(/^<svg/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("skips the image with noImage, and the HTML fallback with htmlFallback: false", async () => {
    const b = await figureBundle(fig, { noImage: true });
    expect(b["image/svg+xml"]).toBeUndefined();
    expect(b["text/html"]).not.toContain("<svg");
    const c = await figureBundle(fig, { htmlFallback: false });
    expect(c["image/svg+xml"]).toMatch(/^<svg/);
    expect(c["text/html"]).not.toContain("<svg");
  });

  it("escapes figure text so it cannot close the script element", () => {
    expect(scriptJson({ t: "</script><b>" })).toBe('{"t":"\\u003c/script>\\u003cb>"}');
  });
});

describe("kernel display path", () => {
  it("hands the whole bundle to tslab's current-cell writer in one call", () => {
    // Stand-in for the kernel's tslab/dist/jupyter.js module, as the kernel leaves it in the cache.
    const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
    const key = "/fake/node_modules/tslab/dist/jupyter.js";
    const calls: [DisplayMessage, boolean][] = [];
    cache[key] = { exports: { lastWriteDisplayData: (m: DisplayMessage, u: boolean) => calls.push([m, u]) } };
    try {
      displayBundle({ "text/html": "<b>x</b>", "text/plain": "x" });
    } finally {
      delete cache[key];
    }
    expect(calls).toEqual([[{ data: { "text/html": "<b>x</b>", "text/plain": "x" }, metadata: {}, transient: {} }, false]]);
  });
});

describe("table and markdown", () => {
  it("renders rows of objects as HTML and aligned text", () => {
    const b = tableBundle([{ chip: "h100", tflops: 989, tbps: 3.35 }, { chip: "b200", tflops: 2250, tbps: null }], {
      caption: "chips",
    });
    expect(b["text/html"]).toContain("<caption");
    expect(b["text/html"]).toContain('<td style="text-align:right">2,250</td>');
    expect(b["text/plain"]).toBe(
      ["chips", "chip  tflops  tbps", "----  ------  ----", "h100     989  3.35", "b200   2,250"].join("\n"),
    );
  });

  it("takes a danfojs DataFrame", async () => {
    const dfd = await import("danfojs-node");
    const df = new dfd.DataFrame([
      { a: 1, b: "x" },
      { a: 2.5, b: "y" },
    ]);
    const b = tableBundle(df as unknown as { columns: string[]; values: unknown[][] });
    expect(b["text/plain"]).toBe(["     a  b", "-  ---  -", "0    1  x", "1  2.5  y"].join("\n"));
    expect(b["text/html"]).toContain("<th");
  }, 60_000);

  it("formats numbers, explained values and empties", () => {
    expect(formatCell(0.000012345)).toBe("1.234e-5");
    expect(formatCell(1234.5678)).toBe("1,235");
    expect(formatCell(3.14159, 3)).toBe("3.14");
    expect(formatCell({ value: 80, unit: "GB" })).toBe("80 GB");
    expect(formatCell(undefined)).toBe("");
    expect(formatCell([1, 2])).toBe("1, 2");
  });

  it("displays table and markdown through the sink", () => {
    capture();
    table([{ a: 1 }]);
    markdown("**hi**");
    expect(captured.map((m) => Object.keys(m.data))).toEqual([
      ["text/html", "text/plain"],
      ["text/markdown", "text/plain"],
    ]);
  });
});

describe("executed notebook tidying", () => {
  const bigBundle = `/** plotly.js v4.1.1 */ var Plotly = {};${"x".repeat(300_000)} window.Plotly = Plotly;`;
  const nb = (): Notebook => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab" } },
    cells: [
      { cell_type: "markdown", source: "# t", metadata: {} },
      {
        cell_type: "code",
        source: "a",
        metadata: { execution: { t: 1 } },
        execution_count: null,
        outputs: [
          { output_type: "display_data", data: { [PLOTLY_MIME]: {}, "text/html": `<div></div><script>${bigBundle}</script><script>draw()</script>` }, metadata: {} },
        ],
      },
      {
        cell_type: "code",
        source: "b",
        metadata: {},
        execution_count: null,
        outputs: [{ output_type: "error", ename: "TypeError", evalue: "x is undefined", traceback: [] }],
      },
      { cell_type: "code", source: "c", metadata: {}, execution_count: null, outputs: [] },
    ],
  });

  it("numbers executed code cells 1..n, strips inlined plotly.js, drops timing metadata", () => {
    const n = nb();
    const r = tidyExecutedNotebook(n, new Set([1, 2]));
    expect(r).toEqual({ bundlesStripped: 1, codeCells: 2 });
    expect(n.cells.map((c) => c.execution_count)).toEqual([undefined, 1, 2, null]);
    const html = n.cells[1].outputs![0].data!["text/html"] as string;
    expect(html).toContain("<script>draw()</script>");
    expect(html.length).toBeLessThan(1000);
    expect(n.cells[1].metadata).toEqual({});
    expect(errorCells(n)).toEqual([{ index: 2, ename: "TypeError", evalue: "x is undefined", source: "b" }]);
    expect(countPlotOutputs(n)).toBe(1);
  });

  it("keeps large scripts that are not plotly.js", () => {
    const html = `<script>${"y".repeat(300_000)}</script>`;
    expect(stripBundleFromHtml(html)).toBe(html);
  });

  it("writes JSON like Jupyter: sorted keys, one-space indent, final newline", () => {
    const text = stringifyNotebook({ nbformat: 4, nbformat_minor: 5, metadata: { b: 1, a: 2 }, cells: [] });
    expect(text).toBe('{\n "cells": [],\n "metadata": {\n  "a": 2,\n  "b": 1\n },\n "nbformat": 4,\n "nbformat_minor": 5\n}\n');
  });

  it("embeds the bundle exactly once, at the placeholder or in <head>", () => {
    const bundle = "window.Plotly = {}; /* </script> inside */";
    const a = embedPlotlyBundle(`<html><head>${BUNDLE_PLACEHOLDER}<title>t</title></head></html>`, bundle);
    expect(a.split("window.Plotly = {}").length - 1).toBe(1);
    expect(a).not.toContain(BUNDLE_PLACEHOLDER);
    expect(a).toContain("<\\/script> inside");
    const b = embedPlotlyBundle("<html><head><title>t</title></head></html>", bundle);
    expect(b.indexOf("window.Plotly")).toBeLessThan(b.indexOf("<title>"));
  });
});

describe("stable output", () => {
  it("replaces plotly's random SVG uid everywhere it names a clip path or defs", async () => {
    const { stabiliseSvgIds } = await import("../../lib/notebook/show");
    const svg =
      '<svg><defs id="defs-3b879b"><clipPath id="clip3b879bxyplot"/></defs><g clip-path="url(#clip3b879bxyplot)"/>' +
      '<g id="topdefs-3b879b"/><g clip-path="url(#legend3b879b)"/><rect fill="#3b879b"/></svg>';
    expect(stabiliseSvgIds(svg, "mabc")).toBe(
      '<svg><defs id="defs-mabc"><clipPath id="clipmabcxyplot"/></defs><g clip-path="url(#clipmabcxyplot)"/>' +
        '<g id="topdefs-mabc"/><g clip-path="url(#legendmabc)"/><rect fill="#3b879b"/></svg>',
    );
  });

  it("gives figures distinct ids within a process", async () => {
    const a = (await figureBundle(fig, { noImage: true }))["text/html"] as string;
    const b = (await figureBundle(fig, { noImage: true }))["text/html"] as string;
    const id = (h: string) => /id="(mantile-plot-[0-9a-f]+)"/.exec(h)?.[1];
    expect(id(a)).toBeDefined();
    expect(id(a)).not.toBe(id(b));
  });
});
