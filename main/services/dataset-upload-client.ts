import { z } from 'zod';
import { AppFailure, appError, type AppError, type ErrorCode } from '../../app/errors';
import { errorBodyMessage } from '../../app/roboflow';
import { badResponse, innermostReason, statusFailure, thrownFailure, type FailureContext, type HttpFailure } from './http-errors';
import { redactSecrets } from './redact';

// One attempt at each of Roboflow's dataset requests (as its Python SDK and Inference's active
// learning send them): upload an image, label it, and read a project's type and classes. Retries,
// pacing and the journal belong to the send service (dataset-upload.ts). The key travels in the
// query, as the SDK sends it; every message is redacted. `prediction=true` is never sent: these
// labels are reviewed, or sent as predictions only when the person asked, and then still as labels.

export interface DatasetTarget {
  platformUrl: string;
  project: string;
  apiKey: string;
}

export interface UploadFile {
  name: string;
  bytes: Buffer;
  mime: string;
}

export interface UploadMeta {
  split: string;
  batch: string;
  tags: readonly string[];
}

export type DatasetFailure = HttpFailure & { ok: false; systemic: boolean };
export type UploadOutcome = { ok: true; imageId: string; duplicate: boolean } | DatasetFailure;
export type AnnotateOutcome = { ok: true } | (DatasetFailure & { conflict?: boolean });

export interface ProjectInfo {
  workspace: string;
  project: string;
  type: string;
  multiLabel: boolean;
  classes: string[];
}

export interface DatasetClient {
  upload(target: DatasetTarget, file: UploadFile, meta: UploadMeta, signal?: AbortSignal): Promise<UploadOutcome>;
  /** `overwrite` replaces a label the project already has (a human decision); without it a
   *  labelled image answers 409 (`conflict`). */
  annotate(target: DatasetTarget, imageId: string, labels: readonly string[], overwrite: boolean, signal?: AbortSignal): Promise<AnnotateOutcome>;
  project(target: DatasetTarget): Promise<ProjectInfo>;
}

/** Statuses that mean every further request would fail the same way: the send stops at once. */
const systemicStatuses = new Set([401, 402, 403, 404, 423]);

const uploadAnswer = z.union([
  z.looseObject({ duplicate: z.literal(true), id: z.string().min(1) }),
  z.looseObject({ success: z.literal(true), id: z.string().min(1) }),
]);
const annotateAnswer = z.looseObject({ success: z.literal(true) });
const workspaceAnswer = z.looseObject({ workspace: z.string().min(1) });
const projectAnswer = z.looseObject({
  project: z.looseObject({
    type: z.string(),
    multilabel: z.boolean().optional(),
    classes: z.record(z.string(), z.unknown()).optional(),
  }),
});

function said(body: string, secrets: readonly string[]): string {
  const message = errorBodyMessage(body);
  return message ? ` Roboflow said: "${redactSecrets(message, secrets).replace(/\s+/g, ' ').slice(0, 300)}"` : '';
}

/** The failure of a non-200 dataset answer: the inference table, with words for a project. */
function datasetStatusFailure(status: number, body: string, retryAfter: string | null, ctx: FailureContext, project: string): DatasetFailure {
  const base = statusFailure(status, body, retryAfter, ctx);
  const words: Partial<Record<number, [ErrorCode, string]>> = {
    403: ['quota_or_forbidden', `Roboflow refused the upload (403): this API key may not add images to "${project}", or the workspace's quota is used up. Check the key and your usage in Roboflow.`],
    404: ['not_found', `Roboflow has no project "${project}" for this key (404). Check the project name (the part before "/" in a model id).`],
    413: ['too_large', 'Roboflow refused this image as too large (413). Convert it to a smaller JPEG and send it again.'],
    423: ['payment_required', 'Roboflow has locked this workspace (423). Check billing and usage in Roboflow, then send again.'],
  };
  const own = words[status];
  const error: AppError = own ? appError(own[0], redactSecrets(`${own[1]}${said(body, ctx.secrets)}`, ctx.secrets)) : base.error;
  return { ...base, error, ok: false, systemic: systemicStatuses.has(status) };
}

const asFailure = (f: HttpFailure): DatasetFailure => ({ ...f, ok: false, systemic: false });

export function createDatasetClient(opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): DatasetClient {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 60_000;

  const context = (target: DatasetTarget): FailureContext => ({
    baseUrl: redactSecrets(target.platformUrl, [target.apiKey]),
    model: target.project,
    secrets: [target.apiKey],
  });

  const routeUrl = (target: DatasetTarget, ...path: string[]): URL => {
    const url = new URL(`${target.platformUrl.trim().replace(/\/+$/, '')}/${path.map(encodeURIComponent).join('/')}`);
    url.searchParams.set('api_key', target.apiKey);
    return url;
  };

  /** One POST; the parsed JSON of a 200, or the failure. */
  async function post(target: DatasetTarget, url: URL, init: RequestInit, signal?: AbortSignal): Promise<{ ok: true; json: unknown } | DatasetFailure> {
    const ctx = context(target);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await doFetch(url, { ...init, method: 'POST', signal: combined });
      const text = await res.text();
      if (res.status !== 200) return datasetStatusFailure(res.status, text, res.headers.get('retry-after'), ctx, target.project);
      try {
        return { ok: true, json: JSON.parse(text) as unknown };
      } catch {
        return asFailure(badResponse(`not JSON, ${res.headers.get('content-type')?.split(';')[0] ?? 'no content type'}`, ctx));
      }
    } catch (err) {
      return asFailure(thrownFailure(err, { cancelled: signal?.aborted ?? false, timedOut: timeout.aborted, timeoutMs }, ctx));
    }
  }

  return {
    async upload(target, file, meta, signal) {
      const url = routeUrl(target, 'dataset', target.project, 'upload');
      url.searchParams.set('batch', meta.batch);
      for (const tag of meta.tags) url.searchParams.append('tag', tag);
      const form = new FormData();
      form.set('name', file.name);
      form.set('split', meta.split);
      form.set('file', new Blob([new Uint8Array(file.bytes)], { type: file.mime }), file.name);
      const answer = await post(target, url, { body: form }, signal);
      if (!answer.ok) return answer;
      const parsed = uploadAnswer.safeParse(answer.json);
      if (!parsed.success) return asFailure(badResponse('no image id in the answer', context(target)));
      return { ok: true, imageId: parsed.data.id, duplicate: 'duplicate' in parsed.data && parsed.data.duplicate === true };
    },

    async annotate(target, imageId, labels, overwrite, signal) {
      const url = routeUrl(target, 'dataset', target.project, 'annotate', imageId);
      url.searchParams.set('name', `${imageId}.txt`);
      if (overwrite) url.searchParams.set('overwrite', 'true');
      const answer = await post(target, url, { body: labels.join(','), headers: { 'content-type': 'text/plain' } }, signal);
      if (!answer.ok) return answer.status === 409 ? { ...answer, conflict: true, systemic: false, retryable: false } : answer;
      if (!annotateAnswer.safeParse(answer.json).success) return asFailure(badResponse('the label was not confirmed', context(target)));
      return { ok: true };
    },

    async project(target) {
      const secrets = [target.apiKey];
      const fail = (code: ErrorCode, message: string) => new AppFailure(code, redactSecrets(message, secrets));
      const get = async (path: string[], what: string): Promise<unknown> => {
        let url: URL;
        try {
          url = routeUrl(target, ...path);
        } catch {
          throw fail('invalid_input', `The platform API URL "${target.platformUrl}" is not valid. Fix it in Settings.`);
        }
        const timeout = AbortSignal.timeout(timeoutMs);
        let status: number;
        let text: string;
        try {
          const res = await doFetch(url, { signal: timeout });
          status = res.status;
          text = await res.text();
        } catch (err) {
          if (timeout.aborted) throw fail('timeout', `Roboflow did not answer within ${Math.round(timeoutMs / 1000)} s. Try again later.`);
          throw fail('network', `Could not reach Roboflow at ${target.platformUrl} (${innermostReason(err)}). Check the internet connection.`);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const hasError = typeof json === 'object' && json !== null && 'error' in json;
        if (status === 401 || status === 403 || (hasError && path.length === 0)) {
          throw fail('unauthorized', `Roboflow did not accept this API key. Copy it again from your workspace settings in Roboflow.${said(text, secrets)}`);
        }
        if (status === 404) throw fail('not_found', `Roboflow has no ${what}. Check the project name (the part before "/" in a model id).`);
        if (status >= 500) throw fail('server', `Roboflow had a problem (${status}) reading ${what}. Try again later.`);
        if (status !== 200 || json === undefined || hasError) throw fail('bad_response', `Roboflow answered ${status} with something unexpected about ${what}.`);
        return json;
      };
      const ws = workspaceAnswer.safeParse(await get([], 'workspace for this key'));
      if (!ws.success) throw fail('bad_response', "Roboflow's answer about the workspace has an unexpected shape.");
      const workspace = ws.data.workspace;
      const parsed = projectAnswer.safeParse(await get([workspace, target.project], `project "${target.project}" in workspace "${workspace}"`));
      if (!parsed.success) throw fail('bad_response', `Roboflow's answer about project "${target.project}" has an unexpected shape.`);
      const { type, multilabel, classes } = parsed.data.project;
      return {
        workspace,
        project: target.project,
        type,
        multiLabel: multilabel === true || /multi-?label/i.test(type),
        classes: Object.keys(classes ?? {}),
      };
    },
  };
}
