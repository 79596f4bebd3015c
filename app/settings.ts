import { z } from 'zod';
import { authModes, endpointKinds, endpointRequestLimits, isHttpBaseUrl, modelIdPattern } from './endpoints';
import { savedViewsSetting } from './saved-views-schema';

// Settings persisted by main (electron-store / conf). The schema is the single source of the type
// and its defaults, so a hand-edited or older settings file is repaired rather than trusted.
// The endpoint rules the page also uses are in endpoints.ts (no zod there, so none in the page).

export * from './endpoints';

const urlMessage = (what: string) => `${what} must be an http:// or https:// address with no user name, query or fragment, e.g. http://localhost:9001.`;
/** A base URL setting: http(s) only, sane length. */
const httpBaseUrl = (what: string, optional = false) =>
  z
    .string()
    .trim()
    .max(2048, `${what} is too long (2048 characters at most).`)
    .refine((text) => (optional && text === '') || isHttpBaseUrl(text), urlMessage(what));
/** A model id (project/version), or '' for none. */
const optionalModelId = z
  .string()
  .trim()
  .max(200, 'A model id is at most 200 characters.')
  .refine((text) => text === '' || modelIdPattern.test(text), 'A model is project/version, for example cats-vs-dogs/3');

export const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400),
  height: z.number().int().min(300),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof windowStateSchema>;

/** A ground-truth name mapping: normalised folder / CSV name -> class, or null to ignore the name. */
export const labelMappingSchema = z
  .record(z.string().max(256), z.string().min(1).max(256).nullable())
  .refine((mapping) => Object.keys(mapping).length <= 10_000, 'Map at most 10,000 names.');

/** How many folders keep their ground-truth mapping (the most recently changed ones). */
export const maxGroundTruthMappings = 50;

export const settingsSchema = z.object({
  endpointKind: z.enum(endpointKinds).default('serverless'),
  /** Required for self-hosted (any http(s)://host:port); for the others it overrides the
   *  documented base (e.g. the EU serverless host) while keeping that kind's request limit. */
  endpointUrl: httpBaseUrl('The endpoint URL', true).default(''),
  model: optionalModelId.default(''),
  /** A second model (project/version) to compare with the first over the same folder; '' = none. */
  compareModel: optionalModelId.default(''),
  /** The engine of the comparison model; '' = the same as `engine` (so one model on the API and on
   *  this computer can be compared). */
  compareEngine: z.enum(['', 'roboflow-api', 'on-device']).default(''),
  concurrency: z.number().int().min(1).max(32).default(8),
  /** Longest side in px above which images are downscaled before upload; 0 = never. */
  maxUploadSize: z.number().int().min(0).max(16384).default(1024),
  /** The user's threshold, applied locally; requests always ask for every score. */
  threshold: z.number().min(0).max(1).default(0.4),
  authMode: z.enum(authModes).default('bearer+query'),
  timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
  /** Largest upload to a self-hosted server in MB (base64 included): its own limit is unknown. */
  selfHostedLimitMb: z.number().int().min(1).max(1024).default(20),
  recursive: z.boolean().default(true),
  profile: z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/, 'A profile name is letters, digits, spaces and . _ @ - only').default('default'),
  platformApiUrl: httpBaseUrl('The platform API URL').default('https://api.roboflow.com'),
  tileSize: z.number().int().min(96).max(512).default(176),
  recentFolders: z.array(z.string().max(4096)).max(10).default([]),
  lastFolder: z.string().max(4096).optional(),
  window: windowStateSchema.optional(),
  /** The ground-truth mapping per folder id, most recently changed first; written only by its own
   *  channel (setGroundTruthMapping) and read by evaluations that bring none, app and CLI alike. */
  groundTruthMappings: z.record(z.string().regex(/^[0-9a-f]{16}$/), labelMappingSchema).default({}),
  /** Where images are classified: Roboflow's inference API, or a downloaded copy of the model on
   *  this computer (ONNX Runtime). */
  engine: z.enum(['roboflow-api', 'on-device']).default('roboflow-api'),
  /** Inference workers for the on-device engine; 0 = one per core but one (at least 1). */
  onDeviceWorkers: z.number().int().min(0).max(32).default(0),
  /** Per profile, the origins its key was entered for (besides Roboflow's): the key goes nowhere
   *  else. Written only by the credentials service, never by a settings patch. */
  keyOrigins: z.record(z.string().max(64), z.array(z.string().max(2048)).max(100)).default({}),
  /** Files the person chose in main's file dialog (labels CSVs), newest first: the only files main
   *  reads on the page's behalf. Written only by main, never by a settings patch. */
  chosenFiles: z.array(z.string().max(4096)).max(20).default([]),
  /** Per-class threshold overrides per folder + model (key: class-thresholds.ts
   *  classThresholdsKey); classes not listed use `threshold`. */
  classThresholds: z
    .record(z.string().max(512), z.record(z.string().max(256), z.number().min(0).max(1)))
    .refine((all) => Object.keys(all).length <= 200, 'Keep per-class thresholds for at most 200 folders and models.')
    .default({}),
  /** Saved views (filter + sort + threshold) per folder id (app/saved-views.ts). */
  savedViews: savedViewsSetting.default({}),
});

export type Settings = z.infer<typeof settingsSchema>;

const patchable = settingsSchema.omit({ recentFolders: true, lastFolder: true, window: true, groundTruthMappings: true, keyOrigins: true, chosenFiles: true }).shape;
type Patchable = typeof patchable;

/** A partial update from the renderer; validated field by field. Defaults are stripped first:
 *  zod 4 fills them in even inside `.partial()`, and a patch must change only what it names. */
export const settingsPatchSchema = z
  .object(
    Object.fromEntries(
      Object.entries(patchable).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]),
    ) as { [K in keyof Patchable]: z.ZodOptional<Patchable[K] extends z.ZodDefault<infer T> ? T : Patchable[K]> },
  )
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Settings with every default filled in; unknown or broken fields fall back to defaults. */
export function normaliseSettings(raw: unknown): Settings {
  const parsed = settingsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const base = settingsSchema.parse({});
  if (typeof raw !== 'object' || raw === null) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    const field = (settingsSchema.shape as Record<string, z.ZodType>)[key];
    if (field && field.safeParse(value).success) out[key] = value;
  }
  return settingsSchema.parse(out);
}

/** The request body limit in bytes (base64 included) for the settings' endpoint. */
export function requestLimitOf(settings: Pick<Settings, 'endpointKind' | 'selfHostedLimitMb'>): number {
  return settings.endpointKind === 'self-hosted' ? settings.selfHostedLimitMb * 1024 * 1024 : endpointRequestLimits[settings.endpointKind];
}
