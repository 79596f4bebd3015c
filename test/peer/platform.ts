// The platform API (api.roboflow.com) as far as Classify Desk uses it, modelled on what Roboflow's
// Python SDK reads: `POST /?api_key=K` names the key's workspace, `GET /{workspace}` lists projects
// with their `type`, `GET /{workspace}/{project}` lists versions (a trained one carries `model`).
// Error bodies are `{"error": {...}}`; like the real API's, the 401 body echoes the key it got.

export interface PlatformAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface ProjectSpec {
  slug: string;
  name: string;
  type: string;
  /** version number -> trained */
  versions: Record<number, boolean>;
}

const created = 1_700_000_000;

export const projects: ProjectSpec[] = [
  { slug: 'colors', name: 'Colors', type: 'classification', versions: { 1: true, 2: false } },
  { slug: 'colors-multi', name: 'Colors (multi-label)', type: 'multi-label-classification', versions: { 1: true } },
  { slug: 'traffic-signs', name: 'Traffic signs', type: 'object-detection', versions: { 1: true, 2: true, 3: true } },
];

function projectJson(workspace: string, p: ProjectSpec): Record<string, unknown> {
  return {
    id: `${workspace}/${p.slug}`,
    type: p.type,
    ...(p.type === 'multi-label-classification' ? { multilabel: true } : {}),
    name: p.name,
    created,
    updated: created + 3600,
    images: 30,
    unannotated: 0,
    annotation: p.slug,
    versions: Object.keys(p.versions).length,
    public: false,
    splits: { train: 21, valid: 6, test: 3 },
    classes: { red: 10, green: 10, blue: 10 },
  };
}

function versionJson(workspace: string, p: ProjectSpec, version: number, trained: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: `${workspace}/${p.slug}/${version}`,
    name: `${p.name} v${version}`,
    created: created + version * 86_400,
    images: 30,
    splits: { train: 21, valid: 6, test: 3 },
    preprocessing: { auto_orient: true, resize: { width: 224, height: 224, format: 'Stretch to' } },
    augmentation: {},
    exports: [],
  };
  if (trained) {
    out.model = {
      id: `${p.slug}/${version}`,
      endpoint: `https://classify.roboflow.com/${p.slug}/${version}`,
      start: created + version * 86_400 + 600,
      end: created + version * 86_400 + 1800,
      status: 'finished',
    };
  }
  return out;
}

function error(status: number, message: string, extra: Record<string, unknown> = {}): PlatformAnswer {
  return { status, body: { error: { message, status, ...extra } } };
}

/** Answers one platform request; `segments` is the URL path split on '/', without empties. */
export function platformRoute(
  method: string,
  segments: string[],
  key: string | null,
  validKeys: readonly string[],
  workspace: string,
): PlatformAnswer {
  if (key === null || !validKeys.includes(key)) {
    return error(401, 'This API key does not exist (or has been revoked).', {
      type: 'OAuthException',
      hint: 'You may retrieve your API key via the Roboflow Dashboard. Go to Account > Roboflow Keys to retrieve yours.',
      key: key ?? '',
    });
  }
  if (segments.length === 0) {
    return {
      status: 200,
      body: {
        welcome: 'Welcome to the Roboflow API.',
        instructions: 'You are successfully authenticated.',
        docs: 'https://docs.roboflow.com',
        workspace,
      },
    };
  }
  if (method !== 'GET') return error(405, `${method} is not supported here.`);
  const [ws, slug] = segments;
  if (ws !== workspace || segments.length > 2) return error(404, `Workspace or resource not found: ${segments.join('/')}`);
  const wsJson = { name: 'Test Workspace', url: workspace, members: 1 };
  if (slug === undefined) {
    return { status: 200, body: { workspace: { ...wsJson, projects: projects.map((p) => projectJson(workspace, p)) } } };
  }
  const project = projects.find((p) => p.slug === slug);
  if (!project) return error(404, `Project ${workspace}/${slug} not found.`);
  return {
    status: 200,
    body: {
      workspace: wsJson,
      project: projectJson(workspace, project),
      versions: Object.entries(project.versions).map(([v, trained]) => versionJson(workspace, project, Number(v), trained)),
    },
  };
}
