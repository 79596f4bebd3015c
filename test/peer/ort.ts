import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeModel, type FakeModel } from '../support/onnx-models';

// Roboflow's model-download route as Roboflow Inference uses it: `GET /ort/{project}/{version}
// ?api_key=K&device=D&nocache=true&dynamic=true` describes the model and names two more URLs, the
// environment (JSON) and the weights (ONNX), served here under /ort-files/ like signed storage
// URLs: no key needed, and the weights carry Google Cloud Storage's `x-goog-hash: md5=…`.
// The weights are the colour classifiers of test/support/onnx-writer, matching the peer's
// inference models by name (colors/1 single-label, colors-multi/1 multi-label).

export type OrtFault = 'truncated' | 'wrong-hash' | 'weights-404' | 'not-onnx';

export interface OrtState {
  /** The next download of weights misbehaves this way (then the fault is spent). */
  faults: OrtFault[];
  /** Requests to /ort/… and /ort-files/…, for tests that prove no network is used. */
  requests: number;
  devices: Set<string>;
}

/** Models the peer can hand out, by project/version. */
export const ortModels: Record<string, FakeModel> = {
  // 4 x identity on (2m - 1) inputs gives logits 8m - 4: the peer's own scores (softmax or sigmoid of 8 x the mean colour).
  'colors/1': fakeModel({ model: { weights: [4, 0, 0, 0, 4, 0, 0, 0, 4] } }),
  'colors/3': fakeModel({ model: { batch: 1 }, modelType: 'resnet18' }),
  'colors-multi/1': fakeModel({ multiLabel: true, model: { weights: [4, 0, 0, 0, 4, 0, 0, 0, 4] } }),
  'traffic-signs/1': fakeModel({ type: 'object-detection' }),
};

export function createOrtState(): OrtState {
  return { faults: [], requests: 0, devices: new Set() };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** Answers the request if it is an /ort route; returns false otherwise. */
export function ortRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  segments: string[],
  ctx: { keys: readonly string[]; base: string; state: OrtState },
): boolean {
  if (req.method !== 'GET' || (segments[0] !== 'ort' && segments[0] !== 'ort-files')) return false;
  ctx.state.requests += 1;
  if (segments[0] === 'ort') {
    if (segments.length !== 3) return json(res, 404, { message: 'Not found.' }), true;
    const key = url.searchParams.get('api_key');
    if (!key) return json(res, 401, { error: { message: 'This endpoint requires an api_key.' } }), true;
    // Like the real platform API, a refused key is echoed back: the client must redact it.
    if (!ctx.keys.includes(key)) return json(res, 401, { error: { message: `Unauthorized api_key ${key}` } }), true;
    const device = url.searchParams.get('device');
    if (device) ctx.state.devices.add(device);
    const id = `${segments[1]}/${segments[2]}`;
    const fake = ortModels[id];
    if (!fake) return json(res, 404, { error: { message: `Model ${id} not found.` } }), true;
    const files = `${ctx.base}/ort-files/${segments[1]}/${segments[2]}`;
    json(res, 200, {
      ort: {
        name: segments[1],
        type: fake.type,
        icon: null,
        annotation: segments[1],
        environment: `${files}/environment.json?sig=signed`,
        classes: ['red', 'green', 'blue'],
        colors: { red: '#ff0000', green: '#00ff00', blue: '#0000ff' },
        model: `${files}/weights.onnx?sig=signed`,
        modelType: fake.modelType,
      },
    });
    return true;
  }
  const fake = ortModels[`${segments[1]}/${segments[2]}`];
  if (!fake || segments.length !== 4) return json(res, 404, { message: 'Not found.' }), true;
  if (segments[3] === 'environment.json') return json(res, 200, fake.environment), true;
  if (segments[3] !== 'weights.onnx') return json(res, 404, { message: 'Not found.' }), true;
  const fault = ctx.state.faults.shift();
  if (fault === 'weights-404') return json(res, 404, { message: 'No such object.' }), true;
  const body = fault === 'not-onnx' ? Buffer.from('<html>not a model</html>') : fake.onnx;
  const md5 = createHash('md5').update(fault === 'wrong-hash' ? Buffer.from('something else') : body).digest('base64');
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(body.length),
    'x-goog-hash': `crc32c=AAAAAA==,md5=${md5}`,
  });
  if (fault === 'truncated') {
    // Half the promised bytes, then the connection drops.
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    setTimeout(() => res.socket?.destroy(), 5);
    return true;
  }
  res.end(body);
  return true;
}
