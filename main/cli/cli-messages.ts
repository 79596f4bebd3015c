import type { SentInfo } from '../../app/types';

// The services word their remedies for the window ("Open Settings…"); on the command line the
// same remedy is a command or a flag. One table, applied to every message the CLI prints.

const remedies: Array<[RegExp, string]> = [
  [/Open Settings and enter your Roboflow API key\./g, 'Run `classify-desk login` to save your Roboflow API key, or set ROBOFLOW_API_KEY.'],
  [/Add your Roboflow API key in Settings\./g, 'Run `classify-desk login` to save your Roboflow API key, or set ROBOFLOW_API_KEY.'],
  [
    /Check the key in Settings \("Check key"\), or paste it again from your Roboflow workspace settings\./g,
    'Check the key with `classify-desk whoami`, or save it again with `classify-desk login` (or set ROBOFLOW_API_KEY).',
  ],
  [/Check the key and the model in Settings/g, 'Check the key (`classify-desk whoami`) and --model'],
  [/Check the key in Settings\./g, 'Check the key with `classify-desk whoami`.'],
  [/Lower "Max upload size" in Settings\./g, 'Lower --max-size (for example --max-size 1024).'],
  [/Lower "Max upload size"/g, 'Lower --max-size'],
  [/Check the model id \(project\/version\) in Settings/g, 'Check --model (project/version)'],
  [/Check the endpoint URL and model in Settings\./g, 'Check --api-url and --model.'],
  [/the endpoint URL in Settings\./g, 'the endpoint (--api-url).'],
  [/Enter it in Settings as project\/version/g, 'Give --model as project/version'],
  [/Set the model in Settings as project\/version/g, 'Give --model as project/version'],
  [/Fix it in Settings\./g, 'Fix --api-url.'],
  [/Set the endpoint URL in Settings/g, 'Give the endpoint with --api-url'],
  [/Enter one in Settings/g, 'Give one with --api-url'],
  [/Choose a model in the settings first\./g, 'Give the model with --model project/version.'],
];

/** A service message with its window remedies replaced by the command line's. */
export function cliMessage(message: string): string {
  let out = message;
  for (const [pattern, replacement] of remedies) out = out.replace(pattern, replacement);
  return out;
}

/** A file name or label as one TSV cell: tabs, line breaks and backslashes escaped (\t \n \r \\),
 *  so every image stays on one line with the same number of columns. */
export function tsvCell(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string);
}

const kb = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`);

/** Why an image went out smaller than asked: the endpoint refused the first upload as too large. */
export function resentNote(name: string, sent: SentInfo, maxSize: number): string | null {
  const refused = sent.refused;
  if (!refused) return null;
  const asked = maxSize === 0 ? ' (--max-size 0 sends images at full size)' : '';
  return (
    `${name}: the endpoint refused ${refused.width}x${refused.height} (${kb(refused.bytes)}) as too large (413)${asked}; ` +
    `re-sent downscaled to ${sent.width}x${sent.height} (${kb(sent.bytes)}).`
  );
}
