/**
 * The Hub path against a real HTTP server on 127.0.0.1 (node http): the real fetch code, no mocks. HF_ENDPOINT points
 * at the server and MANTILE_CACHE at a temporary directory.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedHubConfig, fetchModelConfig, isLocalModel, loadModel, prefetchModels, totalParams } from "../../lib/model";

const BIN = path.resolve(__dirname, "../../bin/mantile.js");

// A small Llama-layout config: 2 blocks, hidden 64, 4 heads (2 KV heads), MLP 128, vocab 100.
const TINY = { architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100, max_position_embeddings: 512, hidden_act: "silu", torch_dtype: "bfloat16" };
const TINY_BODY = JSON.stringify(TINY, null, 2) + "\n";
const QUANT_BODY = JSON.stringify({ producer: { name: "modelopt" }, quantization: { quant_algo: "FP8", kv_cache_quant_algo: "FP8", exclude_modules: ["lm_head"] } });

/** Routes of the fake Hub: path → status and body. Anything else is 404. */
const ROUTES: Record<string, { status: number; body: string }> = {
  "/acme/tiny/resolve/main/config.json": { status: 200, body: TINY_BODY },
  "/acme/tiny-fp8/resolve/main/config.json": { status: 200, body: TINY_BODY },
  "/acme/tiny-fp8/resolve/main/hf_quant_config.json": { status: 200, body: QUANT_BODY },
  "/acme/tiny/resolve/v1/config.json": { status: 200, body: JSON.stringify({ ...TINY, num_hidden_layers: 1 }) },
  "/acme/gated/resolve/main/config.json": { status: 401, body: "Access to model acme/gated is restricted." },
  "/acme/corrupt/resolve/main/config.json": { status: 200, body: "<html>not json</html>" },
  "/acme/array/resolve/main/config.json": { status: 200, body: "[1, 2, 3]" },
  "/acme/cli/resolve/main/config.json": { status: 200, body: TINY_BODY },
};

let server: http.Server;
let endpoint = "";
let cacheDir = "";
const requests: { url: string; auth?: string }[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", auth: req.headers.authorization });
    const r = ROUTES[req.url ?? ""] ?? { status: 404, body: "Entry not found" };
    res.writeHead(r.status, { "content-type": "application/json" });
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "mantile-hub-"));
  Object.assign(process.env, { HF_ENDPOINT: endpoint, MANTILE_CACHE: cacheDir, HF_TOKEN: "hf_test_token" });
  delete process.env.HF_HUB_OFFLINE;
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  for (const k of ["HF_ENDPOINT", "MANTILE_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

describe("fetching configs from the Hub (real HTTP on 127.0.0.1)", () => {
  it("fetches config.json with the bearer token, caches it with URL, revision and sha256, and loadModel reads the cache", async () => {
    const got = await fetchModelConfig("acme/tiny");
    const url = `${endpoint}/acme/tiny/resolve/main/config.json`;
    expect(requests.find((r) => r.url === "/acme/tiny/resolve/main/config.json")?.auth).toBe("Bearer hf_test_token");
    expect(got.meta.files["config.json"]).toEqual({ url, sha256: createHash("sha256").update(TINY_BODY).digest("hex"), bytes: Buffer.byteLength(TINY_BODY) });
    expect(got.meta.files["hf_quant_config.json"]).toBeNull(); // the 404 for the optional file is fine
    expect(got.meta.revision).toBe("main");
    expect(Date.parse(got.meta.fetched_at)).not.toBeNaN();
    expect(fs.readFileSync(path.join(cacheDir, "acme", "tiny", "main", "config.json"), "utf8")).toBe(TINY_BODY);
    // 2·V·H + 2·(q + k + v + o + 3 MLP + 2 norms) + final norm = 2·100·64 + 2·(2·64·64 + 2·64·32 + 3·64·128 + 2·64) + 64
    expect(totalParams(loadModel("acme/tiny"))).toBe(2 * 100 * 64 + 2 * (2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64) + 64);
  });

  it("reads hf_quant_config.json when the repo has one, and an @revision picks the revision", async () => {
    await fetchModelConfig("acme/tiny-fp8");
    expect(loadModel("acme/tiny-fp8")).toMatchObject({ defaultKvDtype: "fp8", defaultDtypes: { attention: "fp8", ffn: "fp8", lm_head: "bf16" } });
    const v1 = await fetchModelConfig("acme/tiny@v1");
    expect(v1.meta.files["config.json"].url).toBe(`${endpoint}/acme/tiny/resolve/v1/config.json`);
    expect(loadModel("acme/tiny@v1").blocks).toBe(1);
  });

  it("401 says to set HF_TOKEN and accept the licence; 404 names the repo and revision", async () => {
    await expect(fetchModelConfig("acme/gated")).rejects.toThrow(/answered 401.*Set HF_TOKEN.*accept the model's licence/);
    await expect(fetchModelConfig("acme/missing@dev")).rejects.toThrow(/404: no config\.json for repo "acme\/missing" at revision "dev"/);
  });

  it("a corrupt body is an error naming the URL, and nothing is cached", async () => {
    await expect(fetchModelConfig("acme/corrupt")).rejects.toThrow(new RegExp(`${endpoint}/acme/corrupt/resolve/main/config\\.json: the body is not JSON`));
    await expect(fetchModelConfig("acme/array")).rejects.toThrow(/the body is JSON but not an object; nothing was cached/);
    expect(fs.existsSync(path.join(cacheDir, "acme", "corrupt"))).toBe(false);
    expect(cachedHubConfig("acme/array")).toBeUndefined();
  });

  it("offline (HF_HUB_OFFLINE=1) answers from the cache without a request; uncached it says how to supply a config file", async () => {
    process.env.HF_HUB_OFFLINE = "1";
    try {
      const before = requests.length;
      expect((await fetchModelConfig("acme/tiny")).config).toEqual(TINY);
      expect(requests.length).toBe(before);
      await expect(fetchModelConfig("acme/never-fetched")).rejects.toThrow(/HF_HUB_OFFLINE is set.*--model path\/to\/config\.json/);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  it("an unreachable Hub falls back to the cache; uncached it is a clear error", async () => {
    const env = { ...process.env, HF_ENDPOINT: "http://127.0.0.1:1" }; // nothing listens on port 1
    expect((await fetchModelConfig("acme/tiny", env)).config).toEqual(TINY);
    await expect(fetchModelConfig("acme/elsewhere", env)).rejects.toThrow(/cannot be reached.*--model path\/to\/config\.json/);
  });

  it("prefetchModels skips shipped ids and paths, fetches the rest, and reports failures without throwing", async () => {
    const before = requests.length;
    const r = await prefetchModels(["openai/gpt-oss-120b", "meta-llama/Llama-3.1-8B-Instruct", "/x/config.json", "acme/tiny-fp8", "acme/gated", "acme/gated"], isLocalModel);
    expect(r.ready).toEqual(["acme/tiny-fp8"]); // already cached: no request
    expect(Object.keys(r.failed)).toEqual(["acme/gated"]);
    expect(requests.slice(before).map((q) => q.url)).toEqual(["/acme/gated/resolve/main/config.json"]);
  });

  it("mantile estimate --model org/name fetches the config in the real CLI process", async () => {
    const env = { ...process.env, HF_ENDPOINT: endpoint, MANTILE_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), "mantile-cli-")) };
    const run = spawn("node", [BIN, "estimate", "--model", "acme/cli", "--hardware", "b200", "--batch", "4", "--context", "256"], { env });
    let out = "";
    let err = "";
    run.stdout.on("data", (d) => (out += d));
    run.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number>((ok) => run.on("close", ok));
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(/^acme\/cli on 1 × b200/);
    expect(fs.existsSync(path.join(env.MANTILE_CACHE, "acme", "cli", "main", "meta.json"))).toBe(true);
    fs.rmSync(env.MANTILE_CACHE, { recursive: true, force: true });
  }, 60_000);
});
