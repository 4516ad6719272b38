/** Launch configs for a searched point: `emitConfig(engine, point, context)`, and the checks against the engines' flag tables. */
import { InputError } from "../../core/validate";
import { getHardware } from "../../hardware/registry";
import { loadModel } from "../../model/registry";
import { shapeOf } from "../request";
import { DEFAULT_SETTINGS } from "../settings";
import type { Evaluated, SearchRequest } from "../types";
import type { EmitContext, LaunchConfig } from "./common";
import { dynamoConfig } from "./dynamo";
import { checkArgs, checkFields, FLAG_ENGINES, flagTable, type EmitEngine } from "./flags";
import { sglangConfig, trtllmConfig, vllmConfig } from "./servers";

export type { EmitContext, LaunchConfig } from "./common";
export { FLAG_ENGINES, flagTable, checkArgs, checkFields, scriptCommand, splitShell, type EmitEngine } from "./flags";

const EMITTERS: Record<EmitEngine, (e: Evaluated, ctx: EmitContext) => LaunchConfig> = { vllm: vllmConfig, sglang: sglangConfig, trtllm: trtllmConfig, dynamo: dynamoConfig };

export function emitConfig(engine: string, e: Evaluated, ctx: EmitContext): LaunchConfig {
  const k = engine.toLowerCase() as EmitEngine;
  if (!FLAG_ENGINES.includes(k)) throw new InputError(`--emit: "${engine}" is not one of ${FLAG_ENGINES.join(", ")}`);
  return EMITTERS[k](e, ctx);
}

/** Every problem of a launch config against the flag tables (empty when every flag, value and YAML key is defined). */
export function checkConfig(c: LaunchConfig): string[] {
  const table = flagTable(c.engine);
  return [
    ...c.commands.flatMap((argv) => checkArgs(table, argv)),
    ...c.documents.flatMap((d) => checkFields(flagTable(d.table), d.doc).map((p) => `${d.name}: ${p}`)),
  ];
}

/** The point to emit for an engine: the chosen point if it is that engine's, else that engine's best point meeting the SLOs. */
export function pointFor(engine: string, chosen: Evaluated | undefined, evaluated: Evaluated[]): Evaluated {
  const k = engine.toLowerCase();
  if (chosen && chosen.candidate.layout.engine === k) return chosen;
  const mine = evaluated.filter((e) => e.candidate.layout.engine === k && e.meetsSlo).sort((a, b) => b.throughputPerGpu - a.throughputPerGpu);
  if (!mine.length) {
    const have = [...new Set(evaluated.filter((e) => e.meetsSlo).map((e) => e.candidate.layout.engine))];
    throw new InputError(`--emit ${engine}: no simulated ${engine} point meets the SLOs${have.length ? `; emit one of ${have.join(", ")}` : ""} (or search with --engines ${engine})`);
  }
  return mine[0];
}

/** The context a launch config needs, from the search request (model as given, its IR, the GPU, the request lengths). */
export function emitContext(req: Pick<SearchRequest, "model" | "hardware" | "isl" | "osl" | "workload" | "settings">): EmitContext {
  return { modelId: req.model, ir: loadModel(req.model), hw: getHardware(req.hardware), shape: shapeOf(req, { ...DEFAULT_SETTINGS, ...(req.settings ?? {}) }) };
}
