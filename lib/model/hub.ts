/**
 * Hugging Face Hub configs for models that are not shipped in data/models.
 *
 * `fetchModelConfig("org/name[@revision]")` downloads config.json (and hf_quant_config.json when the repo has one)
 * from `${HF_ENDPOINT:-https://huggingface.co}/<repo>/resolve/<revision>/<file>`, with `Authorization: Bearer
 * $HF_TOKEN` when set, and caches both with a meta.json (URL, revision, sha256, fetched-at) under
 * `$MANTILE_CACHE`, else `$XDG_CACHE_HOME/mantile/hub`, else `~/.cache/mantile/hub`. Offline (`HF_HUB_OFFLINE=1`) or
 * when the Hub cannot be reached, the cache answers. The synchronous `loadModel` reads the same cache
 * (`cachedHubConfig`), so CLI entry points call `prefetchModels` once before predicting.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../core/validate";

/** Default Hub address (huggingface_hub's default endpoint). */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";
/** Revision when the id names none (the Hub's default branch). */
export const DEFAULT_REVISION = "main";
const CONFIG_FILE = "config.json";
const QUANT_FILE = "hf_quant_config.json";
const META_FILE = "meta.json";
/** HTTP statuses the Hub answers for gated / private repos without (valid) credentials, and for a missing file. */
const AUTH_STATUSES = [401, 403];
const NOT_FOUND = 404;
/** Give up on one file after this long (a config is a few kB; a stalled connection must not stall a predict run). */
const REQUEST_TIMEOUT_MS = 30_000;

const ID_RE = /^([A-Za-z0-9][\w.-]*)\/([\w.-]+)(?:@([\w./-]+))?$/;

export interface HubRef {
  repo: string;
  revision: string;
}

/** `org/name[@revision]` → repo and revision; undefined when the string is not a Hub id. */
export function parseHubId(id: string): HubRef | undefined {
  const m = ID_RE.exec(id.trim());
  if (!m || id.endsWith(".json") || [m[1], m[2]].some((x) => x === "." || x === "..") || m[3]?.split("/").some((x) => x === "." || x === "..")) return undefined;
  return { repo: `${m[1]}/${m[2]}`, revision: m[3] ?? DEFAULT_REVISION };
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MANTILE_CACHE) return path.resolve(env.MANTILE_CACHE);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, "mantile", "hub");
  return path.join(os.homedir(), ".cache", "mantile", "hub");
}

const endpoint = (env: NodeJS.ProcessEnv = process.env) => (env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, "");
const offline = (env: NodeJS.ProcessEnv = process.env) => ["1", "true", "yes", "on"].includes(String(env.HF_HUB_OFFLINE ?? "").toLowerCase());

/** Cache directory of one repo revision (lower-case: Hub ids are case-insensitive). */
function entryDir(ref: HubRef, env?: NodeJS.ProcessEnv): string {
  return path.join(hubCacheDir(env), ...ref.repo.toLowerCase().split("/"), encodeURIComponent(ref.revision));
}

export interface HubFileMeta {
  url: string;
  sha256: string;
  bytes: number;
}

export interface HubMeta {
  repo: string;
  revision: string;
  fetched_at: string;
  files: { "config.json": HubFileMeta; "hf_quant_config.json": HubFileMeta | null };
}

export interface CachedHubConfig {
  ref: HubRef;
  dir: string;
  configFile: string;
  config: Record<string, unknown>;
  hfQuant?: Record<string, unknown>;
  meta: HubMeta;
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

/** The cached config of a Hub id, or undefined when it has not been fetched. */
export function cachedHubConfig(id: string, env?: NodeJS.ProcessEnv): CachedHubConfig | undefined {
  const ref = parseHubId(id);
  if (!ref) return undefined;
  const dir = entryDir(ref, env);
  const configFile = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(configFile) || !fs.existsSync(path.join(dir, META_FILE))) return undefined;
  const quantFile = path.join(dir, QUANT_FILE);
  const hfQuant = fs.existsSync(quantFile) ? readJson(quantFile) : undefined;
  return { ref, dir, configFile, config: readJson(configFile), hfQuant, meta: readJson(path.join(dir, META_FILE)) as unknown as HubMeta };
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Got {
  body: Buffer;
  meta: HubFileMeta;
}

/** One file of a repo revision: its bytes, or null for 404 when `optional`. Errors name the URL and the fix. */
async function getFile(ref: HubRef, file: string, optional: boolean, env: NodeJS.ProcessEnv): Promise<Got | null> {
  const url = `${endpoint(env)}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
  const headers: Record<string, string> = {};
  if (env.HF_TOKEN) headers.Authorization = `Bearer ${env.HF_TOKEN}`;
  const res = await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (AUTH_STATUSES.includes(res.status)) {
    throw new InputError(
      `${url} answered ${res.status}: ${ref.repo} is gated or private. Set HF_TOKEN to a Hugging Face access token and accept the model's licence on its Hub page, ` +
        `or supply the config file with --model path/to/config.json`,
    );
  }
  if (res.status === NOT_FOUND) {
    if (optional) return null;
    throw new InputError(`${url} answered 404: no ${file} for repo "${ref.repo}" at revision "${ref.revision}" (check the id and the @revision)`);
  }
  if (!res.ok) throw new InputError(`${url} answered ${res.status} ${res.statusText}`);
  const body = Buffer.from(await res.arrayBuffer());
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new InputError(`${url}: the body is not JSON (${body.length} bytes); nothing was cached`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InputError(`${url}: the body is JSON but not an object; nothing was cached`);
  return { body, meta: { url, sha256: sha256(body), bytes: body.length } };
}

/** Write a fetched revision: files into a temporary directory, then rename, so a cache entry is whole or absent. */
function store(ref: HubRef, config: Got, quant: Got | null, env?: NodeJS.ProcessEnv): void {
  const dir = entryDir(ref, env);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  fs.writeFileSync(path.join(tmp, CONFIG_FILE), config.body);
  if (quant) fs.writeFileSync(path.join(tmp, QUANT_FILE), quant.body);
  const meta: HubMeta = { repo: ref.repo, revision: ref.revision, fetched_at: new Date().toISOString(), files: { [CONFIG_FILE]: config.meta, [QUANT_FILE]: quant ? quant.meta : null } as HubMeta["files"] };
  fs.writeFileSync(path.join(tmp, META_FILE), JSON.stringify(meta, null, 2) + "\n");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

function offlineError(id: string, why: string): InputError {
  return new InputError(`model "${id}": ${why}, and its config is not in the cache (${hubCacheDir()}). Supply the config file with --model path/to/config.json, or fetch it once online`);
}

/** True when fetch failed before any HTTP answer (DNS, refused connection, TLS, reset, timeout). */
const isNetworkError = (e: unknown) =>
  e instanceof Error && !(e instanceof InputError) && (e.name === "TimeoutError" || e.name === "AbortError" || /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET/.test(e.message));

/** Fetch (or, offline / unreachable, read from the cache) the config of a Hub id; the cache is filled on success. */
export async function fetchModelConfig(id: string, env: NodeJS.ProcessEnv = process.env): Promise<CachedHubConfig> {
  const ref = parseHubId(id);
  if (!ref) throw new InputError(`model "${id}" is not a Hugging Face id (org/name[@revision]); give an id or --model path/to/config.json`);
  const cached = () => cachedHubConfig(id, env);
  if (offline(env)) {
    const hit = cached();
    if (hit) return hit;
    throw offlineError(id, "HF_HUB_OFFLINE is set");
  }
  let config: Got | null;
  let quant: Got | null;
  try {
    config = await getFile(ref, CONFIG_FILE, false, env);
    quant = await getFile(ref, QUANT_FILE, true, env);
  } catch (e) {
    if (!isNetworkError(e)) throw e;
    const hit = cached();
    if (hit) return hit;
    throw offlineError(id, `the Hub (${endpoint(env)}) cannot be reached (${(e as Error).message})`);
  }
  store(ref, config!, quant, env);
  return cached()!;
}

export interface PrefetchResult {
  /** Ids whose config is now in the cache (fetched or already there). */
  ready: string[];
  /** Ids that could not be fetched, with the reason (each row naming them reports it again). */
  failed: Record<string, string>;
}

/**
 * Fill the cache for every Hub id that `isKnown` does not resolve (shipped configs, aliases, local paths are skipped).
 * Never throws for one id: predict rows whose model cannot be resolved get their own row error.
 */
export async function prefetchModels(ids: Iterable<string>, isKnown: (id: string) => boolean, env: NodeJS.ProcessEnv = process.env): Promise<PrefetchResult> {
  const out: PrefetchResult = { ready: [], failed: {} };
  for (const id of new Set([...ids].map((s) => s.trim()).filter(Boolean))) {
    if (isKnown(id) || !parseHubId(id)) continue;
    if (cachedHubConfig(id, env)) {
      out.ready.push(id);
      continue;
    }
    try {
      await fetchModelConfig(id, env);
      out.ready.push(id);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      out.failed[id] = e.message;
    }
  }
  return out;
}

/** Like prefetchModels, for commands given the models explicitly: the first id that cannot be fetched is an error. */
export async function ensureModels(ids: Iterable<string>, isKnown: (id: string) => boolean, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const failed = Object.values((await prefetchModels(ids, isKnown, env)).failed);
  if (failed.length) throw new InputError(failed[0]);
}
