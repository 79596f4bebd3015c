import { z } from 'zod';
import { AppFailure, type ErrorCode } from '../../app/errors';
import { errorBodyMessage } from '../../app/roboflow';
import { innermostReason } from './http-errors';
import { redactSecrets } from './redact';

// Roboflow's platform API (api.roboflow.com), as its Python SDK uses it: `POST /?api_key=K` names
// the key's workspace (a bad key answers a body with `error`), `GET /{workspace}` lists projects
// with their `type`, `GET /{workspace}/{project}` lists versions, a trained one carrying `model`.
// The key travels in the query as the SDK does; every error message is redacted.

export interface PlatformProject {
  /** The project's URL slug: the first half of a model id (`slug/version`). */
  id: string;
  /** `workspace/slug` as the API names it. */
  fullId: string;
  name: string;
  /** e.g. classification, multi-label-classification, object-detection. */
  type: string;
  versions: number;
}

export interface PlatformVersion {
  /** `workspace/project/N` as the API names it. */
  id: string;
  version: number;
  /** The model id to infer with: `project/N`. */
  model: string;
  /** Only trained versions can classify. */
  trained: boolean;
}

export interface PlatformClient {
  /** The API base the key goes to (the key gate checks it first). */
  readonly baseUrl: string;
  workspace(key: string): Promise<string>;
  projects(key: string, workspace: string): Promise<PlatformProject[]>;
  versions(key: string, workspace: string, project: string): Promise<PlatformVersion[]>;
}

/** True for project types a classification client can use (single- and multi-label). */
export function isClassificationType(type: string): boolean {
  return /classification/i.test(type);
}

const workspaceAnswer = z.looseObject({ workspace: z.string().min(1) });
const projectsAnswer = z.looseObject({
  workspace: z.looseObject({
    projects: z.array(z.looseObject({ id: z.string(), name: z.string().optional(), type: z.string(), versions: z.number().optional() })),
  }),
});
const versionsAnswer = z.looseObject({
  versions: z.array(z.looseObject({ id: z.string(), model: z.unknown().optional() })),
});

const lastSegment = (id: string) => id.split('/').filter(Boolean).at(-1) ?? id;

/** A client for the platform API at `baseUrl` (https://api.roboflow.com by default in settings). */
export function createPlatformClient(opts: { baseUrl: string; fetch?: typeof fetch; timeoutMs?: number }): PlatformClient {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.trim().replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 15_000;

  async function call(method: 'GET' | 'POST', path: string[], key: string, what: string): Promise<unknown> {
    const fail = (code: ErrorCode, message: string) => new AppFailure(code, redactSecrets(message, [key]));
    let url: URL;
    try {
      url = new URL(`${base}/${path.map(encodeURIComponent).join('/')}`);
    } catch {
      throw fail('invalid_input', `The platform API URL "${base}" is not valid. Fix it in Settings.`);
    }
    url.searchParams.set('api_key', key);
    const timeout = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await doFetch(url, { method, signal: timeout });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) throw fail('timeout', `Roboflow at ${base} did not answer within ${Math.round(timeoutMs / 1000)} s. Try again later.`);
      throw fail('network', `Could not reach Roboflow at ${base} (${innermostReason(err)}). Check the internet connection; a model can still be typed as project/version.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const hasError = typeof json === 'object' && json !== null && 'error' in json;
    const said = errorBodyMessage(json ?? text);
    const saidText = said ? ` Roboflow said: "${said.slice(0, 300)}"` : '';
    if (status === 401 || status === 403 || (hasError && path.length === 0)) {
      throw fail('unauthorized', `Roboflow did not accept this API key. Copy it again from your workspace settings in Roboflow (Settings > API Keys).${saidText}`);
    }
    if (status === 404) throw fail('not_found', `Roboflow has no ${what}.${saidText}`);
    if (status >= 500) throw fail('server', `Roboflow had a problem (${status}) listing ${what}. Try again later.`);
    if (status !== 200 || json === undefined || hasError) {
      throw fail('bad_response', `Roboflow answered ${status} with something unexpected while listing ${what}.${saidText}`);
    }
    return json;
  }

  function shape<T>(schema: z.ZodType<T>, json: unknown, what: string, key: string): T {
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppFailure('bad_response', redactSecrets(`Roboflow's answer about ${what} has an unexpected shape.`, [key]));
    return parsed.data;
  }

  return {
    baseUrl: base,
    async workspace(key) {
      const json = await call('POST', [], key, 'workspace for this key');
      return shape(workspaceAnswer, json, 'the workspace', key).workspace;
    },
    async projects(key, workspace) {
      const json = await call('GET', [workspace], key, `workspace "${workspace}"`);
      return shape(projectsAnswer, json, 'projects', key).workspace.projects.map((p) => ({
        id: lastSegment(p.id),
        fullId: p.id,
        name: p.name ?? lastSegment(p.id),
        type: p.type,
        versions: p.versions ?? 0,
      }));
    },
    async versions(key, workspace, project) {
      const json = await call('GET', [workspace, project], key, `project "${workspace}/${project}"`);
      return shape(versionsAnswer, json, 'versions', key)
        .versions.map((v) => {
          const version = Number(lastSegment(v.id));
          return { id: v.id, version, model: `${project}/${version}`, trained: typeof v.model === 'object' && v.model !== null };
        })
        .filter((v) => Number.isInteger(v.version) && v.version > 0)
        .sort((a, b) => b.version - a.version);
    },
  };
}
