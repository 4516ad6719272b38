/**
 * What a report states about itself: its headline figures, the data files and the calibration it
 * used (declared by the notebook with `reportFacts(...)`), and the Mantile version that produced it
 * (the git commit, added by the runner). The runner puts these in the report's header and footer,
 * in a JSON beside the report, and in reports/index.html.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../core/paths";
import { displayBundle } from "./display";
import { cellSource, type Notebook } from "./ipynb";
import { tableBundle } from "./table";

/** Mime type of the facts a notebook declares (front ends that do not know it show the HTML part). */
export const REPORT_MIME = "application/vnd.mantile.report+json";

export interface ReportFacts {
  /** Headline figures, label → value, in the order given (shown in the index). */
  headline?: Record<string, string | number>;
  /** Data files the notebook read (paths relative to the checkout root). */
  data?: string[];
  /** The calibration the figures used ("auto: data/calibration/b200-vllm.json", "none", a profile file, …). */
  calibration?: string;
}

/** Headline figures as [label, value] pairs: an array keeps their order through the notebook's sorted-key JSON. */
export type Headline = [string, string | number][];

/** The facts as the notebook output carries them and the runner reads them back. */
export interface DeclaredFacts {
  headline: Headline;
  data?: string[];
  calibration?: string;
}

/**
 * Declare this notebook's headline figures, data files and calibration. Shows them as a table in
 * the notebook; the runner reads them back from the output. Call it once, near the end (later calls
 * override earlier ones key by key).
 */
export function reportFacts(f: ReportFacts): void {
  const declared: DeclaredFacts = { ...f, headline: Object.entries(f.headline ?? {}) };
  const rows = [
    ...declared.headline.map(([k, v]) => ({ "": k, value: v })),
    ...(f.data?.length ? [{ "": "data files", value: f.data.join(", ") }] : []),
    ...(f.calibration ? [{ "": "calibration", value: f.calibration }] : []),
  ];
  const t = tableBundle(rows, { caption: "Report facts (headline figures, data, calibration)", digits: 4 });
  displayBundle({ [REPORT_MIME]: declared as object, "text/html": t["text/html"], "text/plain": t["text/plain"] });
}

/** The facts a notebook's outputs declare (merged in output order), or null if none. */
export function readReportFacts(nb: Notebook): DeclaredFacts | null {
  const found: DeclaredFacts[] = [];
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) {
      const f = o.data?.[REPORT_MIME] as DeclaredFacts | undefined;
      if (f && typeof f === "object") found.push({ ...f, headline: Array.isArray(f.headline) ? f.headline : [] });
    }
  }
  if (found.length === 0) return null;
  return found.reduce<DeclaredFacts>((acc, f) => {
    const headline = new Map(acc.headline);
    for (const [k, v] of f.headline) headline.set(k, v);
    return { ...acc, ...f, headline: [...headline.entries()] };
  }, { headline: [] });
}

/** Path-like string literals in code cells under these top folders count as the notebook's data files. */
const DATA_ROOTS = ["../shared/", "reconcile/", "data/", "test/fixtures/"];
const STRING_LITERAL = /["'`]([^"'`\n$]+)["'`]/g;

/** Files the notebook's code names as string literals that exist (for notebooks that declare none). */
export function referencedDataFiles(nb: Notebook, root = PROJECT_ROOT): string[] {
  const found = new Set<string>();
  for (const c of nb.cells) {
    if (c.cell_type !== "code") continue;
    for (const m of cellSource(c).matchAll(STRING_LITERAL)) {
      const p = m[1];
      if (DATA_ROOTS.some((r) => p.startsWith(r)) && fs.existsSync(path.resolve(root, p))) found.add(p);
    }
  }
  return [...found].sort();
}

export interface MantileVersion {
  /** package.json version. */
  version: string;
  /** Git commit of the checkout (12 hex digits), or null outside a git checkout. */
  commit: string | null;
  /** True when tracked files differ from the commit. */
  dirty: boolean;
}

function git(args: string[], root: string): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Commit hex digits shown (enough to be unique in any real repository). */
const COMMIT_DIGITS = 12;

export function mantileVersion(root = PROJECT_ROOT): MantileVersion {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string };
  const commit = git(["rev-parse", `--short=${COMMIT_DIGITS}`, "HEAD"], root);
  const status = commit ? git(["status", "--porcelain", "--untracked-files=no"], root) : null;
  return { version: pkg.version ?? "unknown", commit, dirty: !!status };
}

export function versionText(v: MantileVersion): string {
  return `Mantile ${v.version}, ${v.commit ? `commit ${v.commit}${v.dirty ? " with uncommitted changes" : ""}` : "not a git checkout"}`;
}

/** What the report header and footer show (the notebook metadata key `mantile` the template reads). */
export interface ReportMetadata {
  version: string;
  data: string[];
  data_declared: boolean;
  calibration: string;
  parameters: Record<string, unknown>;
  generated: string;
}

export function reportMetadata(nb: Notebook, facts: DeclaredFacts | null, parameters: Record<string, unknown>, root = PROJECT_ROOT): ReportMetadata {
  const declared = !!facts?.data?.length;
  return {
    version: versionText(mantileVersion(root)),
    data: declared ? facts!.data! : referencedDataFiles(nb, root),
    data_declared: declared,
    calibration: facts?.calibration ?? "not declared by the notebook",
    parameters,
    generated: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
