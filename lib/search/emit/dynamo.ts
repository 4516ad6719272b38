/**
 * A Dynamo disaggregated graph for a searched unit: a ConfigMap holding the prefill and decode
 * workers' TensorRT-LLM LLM-API YAMLs, and a DynamoGraphDeployment with a frontend, the prefill
 * workers and the decode workers (replicas = workers over the whole deployment; a worker wider than
 * a node spans nodes), as Dynamo's own deploy examples lay it out (data/engines/flags/dynamo.json).
 */
import { stringify } from "yaml";
import { InputError } from "../../core/validate";
import { nodeGpus } from "../../hardware/registry";
import { workerGpus } from "../space";
import type { Evaluated, WorkerLayout } from "../types";
import { comment, header, PORTS, type EmitContext, type LaunchConfig } from "./common";
import { flagTable } from "./flags";
import { llmApiOptions } from "./servers";

export const DYNAMO_FILE = "dynamo-disagg.yaml";
/** Where the ConfigMap is mounted in the worker containers, and its name. */
const CONFIG_DIR = "/workspace/engine_configs";
const CONFIG_MAP = "mantile-engine-configs";
const NAME = "mantile-disagg";

/** GPUs per pod and pods per worker: a worker wider than a node spans whole nodes. */
function placement(w: WorkerLayout, perNode: number): { gpu: number; nodes: number } {
  const gpus = workerGpus(w);
  if (gpus <= perNode) return { gpu: gpus, nodes: 1 };
  if (gpus % perNode !== 0) throw new InputError(`a worker of ${gpus} GPUs does not split into whole nodes of ${perNode}`);
  return { gpu: perNode, nodes: gpus / perNode };
}

function workerArgs(ctx: EmitContext, role: "prefill" | "decode"): string[] {
  return ["--model-path", ctx.modelId, "--served-model-name", ctx.modelId, "--extra-engine-args", `${CONFIG_DIR}/${role}.yaml`, "--disaggregation-mode", role, "--disaggregation-strategy", "decode_first"];
}

export function dynamoConfig(e: Evaluated, ctx: EmitContext): LaunchConfig {
  const l = e.candidate.layout;
  if (l.mode !== "disaggregated") throw new InputError(`a Dynamo disaggregated graph needs a disaggregated point; ${e.id} is aggregated (use --emit vllm, sglang or trtllm)`);
  const image = flagTable("dynamo").image!.value;
  const perNode = nodeGpus(ctx.hw);
  // Prefill-only workers: the overlap scheduler off and the KV hand-off through the cache transceiver, as Dynamo's recipes set them.
  const docs = {
    prefill: llmApiOptions(e, "prefill", ctx, { disable_overlap_scheduler: true, cache_transceiver_config: { backend: "DEFAULT" } }),
    decode: llmApiOptions(e, "decode", ctx, { disable_overlap_scheduler: false, cache_transceiver_config: { backend: "DEFAULT" } }),
  };
  const service = (role: "prefill" | "decode", w: WorkerLayout, replicas: number) => {
    const p = placement(w, perNode);
    return {
      dynamoNamespace: NAME, componentType: "worker", subComponentType: role, replicas,
      ...(p.nodes > 1 ? { multinode: { nodeCount: p.nodes } } : {}),
      resources: { limits: { gpu: String(p.gpu) } },
      extraPodSpec: {
        volumes: [{ name: CONFIG_MAP, configMap: { name: CONFIG_MAP } }],
        mainContainer: { image, workingDir: "/workspace", volumeMounts: [{ name: CONFIG_MAP, mountPath: CONFIG_DIR, readOnly: true }], command: ["python3", "-m", "dynamo.trtllm"], args: workerArgs(ctx, role) },
      },
    };
  };
  const graph = {
    apiVersion: "nvidia.com/v1alpha1",
    kind: "DynamoGraphDeployment",
    metadata: { name: NAME },
    spec: {
      backendFramework: "trtllm",
      services: {
        Frontend: { dynamoNamespace: NAME, componentType: "frontend", replicas: 1, extraPodSpec: { mainContainer: { image, command: ["python3", "-m", "dynamo.frontend"], args: ["--http-port", String(PORTS.dynamo)] } } },
        TRTLLMPrefillWorker: service("prefill", l.prefill!, e.deployment.prefillWorkers!),
        TRTLLMDecodeWorker: service("decode", l.decode!, e.deployment.decodeWorkers!),
      },
    },
  };
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: CONFIG_MAP }, data: { "prefill.yaml": stringify(docs.prefill), "decode.yaml": stringify(docs.decode) } };
  const notes = [
    ...header(e, ctx, "Dynamo + TensorRT-LLM"),
    `the ConfigMap ${CONFIG_MAP} is mounted at ${CONFIG_DIR} in the worker pods (volumes in extraPodSpec, as in Dynamo's disagg-multinode example)`,
    "prefill workers: max_batch_size / max_num_tokens as the prediction's prefill pool; decode workers: every client of their unit admitted",
  ];
  const content = `${comment(notes)}\n${stringify(configMap)}---\n${stringify(graph)}`;
  const commands = [["python3", "-m", "dynamo.trtllm", ...workerArgs(ctx, "prefill")], ["python3", "-m", "dynamo.trtllm", ...workerArgs(ctx, "decode")]];
  return {
    engine: "dynamo", point: e.id, files: [{ name: DYNAMO_FILE, content }], commands,
    documents: [
      { name: "prefill.yaml", table: "trtllm", doc: docs.prefill },
      { name: "decode.yaml", table: "trtllm", doc: docs.decode },
      { name: "DynamoGraphDeployment", table: "dynamo", doc: graph },
    ],
    notes,
  };
}
