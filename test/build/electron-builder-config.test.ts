import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

// electron-builder.yml is checked offline against electron-builder's own JSON schema, so a typo
// in a key or a value fails here rather than on a release machine.

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
const config = parse(readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;

function validate(candidate: unknown) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const check = ajv.compile(schema);
  return { valid: check(candidate), errors: check.errors ?? [] };
}

describe('electron-builder.yml', () => {
  it('is valid against app-builder-lib/scheme.json', () => {
    const { valid, errors } = validate(config);
    expect(errors.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would catch a misspelt key (the schema check is not vacuous)', () => {
    expect(validate({ ...config, asarUnpak: ['x'] }).valid).toBe(false);
    expect(validate({ ...config, npmRebuild: 'no' }).valid).toBe(false);
  });

  it('packages what the app needs for every OS', () => {
    expect(config.productName).toBe('Classify Desk');
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(config.npmRebuild).toBe(false);
    const targets = (os: string) =>
      ((config[os] as { target: Array<{ target: string }> }).target ?? []).map((t) => t.target);
    expect(targets('mac')).toEqual(['dmg', 'zip']);
    expect(targets('win')).toEqual(['nsis']);
    expect(targets('linux')).toEqual(['AppImage', 'deb']);
    expect((config.deb as { depends: string[] }).depends).toContain('libsecret-1-0');
    const unpacked = config.asarUnpack as string[];
    for (const native of ['node_modules/sharp/**', 'node_modules/@img/**', 'node_modules/@github/keytar/**', 'node_modules/onnxruntime-node/**']) {
      expect(unpacked).toContain(native);
    }
    for (const icon of ['build/icon.png', 'build/entitlements.mac.plist']) expect(existsSync(icon)).toBe(true);
  });

  it('ships the built entry points that package.json names', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; bin: Record<string, string> };
    const files = config.files as string[];
    expect(files.some((pattern) => pkg.main.startsWith(pattern.replace('/**', '')))).toBe(true);
    expect(files).toContain(pkg.bin['classify-desk']);
  });
});

describe('electron-builder.yml hardening of the installed app', () => {
  it('flips the Electron fuses that let code in through the environment or outside the asar', () => {
    // Without these, `ELECTRON_RUN_AS_NODE=1 classify-desk -e <code>`, NODE_OPTIONS=--require=…, or
    // `--inspect` turn the signed app into a Node.js that runs anyone's code with its keychain access.
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('registers no URL scheme with the OS (the app handles none)', () => {
    expect(config.protocols).toBeUndefined();
    for (const os of ['mac', 'win', 'linux']) expect((config[os] as Record<string, unknown>).protocols, os).toBeUndefined();
  });
});
