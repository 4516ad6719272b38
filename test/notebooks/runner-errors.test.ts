/**
 * The execution driver turns tslab's failures (which tslab reports only through the reply status
 * and stderr) into real `error` outputs, stops at the first one, and enforces the timeout.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCells, type Notebook } from "../../lib/notebook/ipynb";
import { NBEXEC, childEnv, findPython, privateJupyterDir } from "../../scripts/notebooks";

let tmp: string;
let py: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-nberr-"));
  const found = findPython();
  if (!found) throw new Error("no python3 with nbclient: run `node scripts/start.js --setup-only`");
  py = found;
  env = childEnv(privateJupyterDir());
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function notebook(sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((s, i) => ({ id: `c${i}`, cell_type: "code", source: s, metadata: {}, outputs: [], execution_count: null })),
  };
}

function execute(name: string, sources: string[], timeout = 60) {
  const input = path.join(tmp, `${name}.ipynb`);
  const output = path.join(tmp, `${name}.out.ipynb`);
  fs.writeFileSync(input, JSON.stringify(notebook(sources)));
  const r = spawnSync(py, [NBEXEC, input, output, "--cwd", tmp, "--timeout", String(timeout)], {
    env,
    encoding: "utf8",
    timeout: (timeout + 60) * 1000,
  });
  const summary = JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
  const nb = JSON.parse(fs.readFileSync(output, "utf8")) as Notebook;
  return { summary, nb, stderr: r.stderr };
}

describe("nbexec.py", () => {
  it("records a runtime exception as an error output and stops there", () => {
    const { summary, nb } = execute("runtime", ['console.log("ok")', 'throw new TypeError("boom")', 'console.log("after")']);
    expect(summary.ok).toBe(false);
    expect(summary.executed).toEqual([0, 1]);
    expect(errorCells(nb)).toMatchObject([{ index: 1, ename: "TypeError", evalue: "boom" }]);
    expect(nb.cells[2].outputs).toEqual([]);
  });

  it("records a TypeScript compile error as an error output", () => {
    const { summary, nb } = execute("compile", ['const n: number = "not a number";']);
    expect(summary.ok).toBe(false);
    const [e] = errorCells(nb);
    expect(e.ename).toBe("TypeScriptError");
    expect(e.evalue).toMatch(/not assignable to type 'number'/);
  });

  it("stops a notebook that runs past its timeout", () => {
    const t0 = Date.now();
    const { summary, nb } = execute("slow", ['console.log("start")', "await new Promise((r) => setTimeout(r, 120_000));"], 5);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(summary.ok).toBe(false);
    expect(errorCells(nb)).toMatchObject([{ index: 1 }]);
    expect(errorCells(nb)[0].ename).toMatch(/Timeout/);
  });
});
