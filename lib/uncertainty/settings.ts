/**
 * The settings of prediction intervals (data/uncertainty/settings.json): which quantiles make the
 * interval, the minimum sample of a class, the order in which a thin class falls back to a coarser
 * one, and the budget of the refits behind the generalisation reports — each with its reason.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DATA_DIR } from "../core/paths";
import { parseOrThrow } from "../core/validate";

export const UNCERTAINTY_DIR = path.join(DATA_DIR, "uncertainty");
export const SETTINGS_FILE = path.join(UNCERTAINTY_DIR, "settings.json");

/** The distances of a request from the fit that name its class (lib/uncertainty/basis.ts). */
export const DIMENSIONS = ["profile", "hardware", "kernels", "model", "engine", "load"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const Setting = <T extends z.ZodTypeAny>(v: T) => z.object({ value: v, unit: z.string().optional(), source: z.string().min(3) }).strict();
const Quantile = z.number().gt(0).lt(1);

const SettingsFile = z
  .object({
    _about: z.string(),
    interval: z.object({ lower: Setting(Quantile), upper: Setting(Quantile) }).strict(),
    quantile_grid: Setting(z.array(Quantile).min(2)),
    min_samples: Setting(z.number().int().min(1)),
    dimensions: Setting(z.array(z.enum(DIMENSIONS))),
    fallback: Setting(z.array(z.array(z.enum(DIMENSIONS))).min(1)),
    symmetric: Setting(z.boolean()),
    proxy: Setting(z.record(z.string())),
    reliability: Setting(z.array(Quantile).min(1)),
    coverage_target: Setting(z.tuple([Quantile, Quantile])),
    refit: z.object({ max_evals: Setting(z.number().int().min(1)), limit: Setting(z.number().int().min(1)), workers: Setting(z.number().int().min(1)) }).strict(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const grid = s.quantile_grid.value;
    if (grid.some((q, i) => i > 0 && q <= grid[i - 1])) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["quantile_grid"], message: "quantiles must increase" });
    for (const q of [s.interval.lower.value, s.interval.upper.value]) if (!grid.some((g) => Math.abs(g - q) < 1e-9)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["interval"], message: `quantile ${q} is not on quantile_grid` });
    const last = s.fallback.value[s.fallback.value.length - 1];
    if (last.length !== 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["fallback"], message: "the last fallback level must be [] (every basis pooled)" });
  });
export type UncertaintySettings = z.infer<typeof SettingsFile>;

let cached: UncertaintySettings | undefined;

/** The settings, read once. */
export function uncertaintySettings(): UncertaintySettings {
  if (!cached) cached = parseOrThrow(SettingsFile, JSON.parse(fs.readFileSync(SETTINGS_FILE, "utf8")), "data/uncertainty/settings.json");
  return cached;
}
