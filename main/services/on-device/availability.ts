import type { AppError } from '../../../app/errors';

// Where ONNX Runtime's Node binding (onnxruntime-node 1.30) ships a native binary. Intel Macs have
// none: the engine says so plainly instead of failing to load a missing library.

const shipped: Record<string, readonly string[]> = {
  linux: ['x64', 'arm64'],
  darwin: ['arm64'],
  win32: ['x64', 'arm64'],
};

/** Null when the on-device engine can run here, else the error to show. */
export function onDeviceSupport(platform: string = process.platform, arch: string = process.arch): AppError | null {
  if (shipped[platform]?.includes(arch)) return null;
  if (platform === 'darwin' && arch === 'x64') {
    return {
      code: 'invalid_input',
      message: 'Classifying on this computer is not available on this Mac: the ONNX Runtime engine has no build for Intel Macs. Use the Roboflow API engine (Settings).',
    };
  }
  return {
    code: 'invalid_input',
    message: `Classifying on this computer is not available on ${platform} ${arch}: the ONNX Runtime engine has no build for it. Use the Roboflow API engine (Settings).`,
  };
}
