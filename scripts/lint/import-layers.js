// ESLint rule `layers/imports`: which folder may import which, after VS Code's `code-layering` idea.
// Relative imports are resolved against the importing file, so '../compose' from main/services/
// counts as main/compose.ts whatever the spelling; bare imports are checked by package name.
// The table is the one source of the direction rules; docs/architecture.md#layers explains it.
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Node-only packages: native code, Electron's main process, or the settings file on disk. */
const nodeOnlyPackages = ['sharp', '@github/keytar', 'onnxruntime-node', 'electron-store', 'conf'];
const nodeBuiltins = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** Folders (relative to the repository) as layers; the most specific prefix wins. */
const layerOf = [
  ['main/compose.ts', 'main/compose'],
  ['main/handlers.ts', 'main/handlers'],
  ['main/services/', 'main/services'],
  ['main/', 'main'],
  ['app/', 'app'],
  ['renderer/', 'renderer'],
  ['test/', 'test'],
];

/**
 * Per layer of the importing file: the layers it may import (its own is always allowed), whether
 * Node's built-in modules are allowed, and packages it must not import. A layer listed in
 * `typeOnly` may be imported with `import type` only.
 */
const rules = {
  app: { layers: [], node: false, packages: nodeOnlyPackages, why: 'app/ is side-effect free and runs in main and the renderer' },
  renderer: { layers: ['app'], node: false, packages: nodeOnlyPackages, why: 'the renderer is a web page: it reaches main through window.api only' },
  main: { layers: ['app', 'main/services', 'main/compose', 'main/handlers'], node: true, packages: [], why: 'main must not depend on the page or on tests' },
  // Services are built by the composition root, never the other way round; the ports they implement
  // are declared in main/ports.ts.
  'main/services': { layers: ['app', 'main'], node: true, packages: [], why: 'a service is built by main/compose.ts and must not reach back to it' },
  'main/compose': { layers: ['app', 'main', 'main/services', 'main/handlers'], node: true, packages: [], why: '' },
  'main/handlers': { layers: ['app', 'main', 'main/services', 'main/compose'], node: true, packages: [], why: '' },
  test: { layers: ['app', 'main', 'main/services', 'main/compose', 'main/handlers', 'renderer'], node: true, packages: [], why: '' },
};

/** Only the Electron shell imports electron: everything else runs (and is tested) in plain Node. */
const electronFiles = new Set(['main/index.ts', 'main/preload.ts', 'main/menu.ts']);

function layerAt(relative) {
  for (const [prefix, layer] of layerOf) if (relative === prefix || relative.startsWith(prefix)) return layer;
  return null;
}

/** A folder layer as 'main/', a one-file layer as 'main/compose.ts'. */
function shown(layer) {
  return layerOf.find(([, name]) => name === layer)[0];
}

function packageName(specifier) {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @type {import('eslint').Rule.RuleModule} */
export const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforces which folder may import which (app, main, main/services, renderer, test) and where Node and electron may be used.' },
    schema: [],
    messages: {
      layer: '{{from}} must not import {{to}} ({{specifier}}): {{why}}.',
      typeOnly: '{{from}} may import only types from {{to}} ({{specifier}}): {{why}}.',
      node: '{{from}} must not import Node\'s "{{specifier}}": {{why}}.',
      package: '{{from}} must not import "{{specifier}}": {{why}}.',
      electron: 'Only main/index.ts, main/preload.ts and main/menu.ts may import electron.',
    },
  },
  create(context) {
    const root = context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const from = layerAt(file);
    const rule = from ? rules[from] : null;

    function check(node, specifier, typeOnly) {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) {
        if (!rule) return;
        const target = path.relative(root, path.resolve(path.dirname(context.filename), specifier)).split(path.sep).join('/');
        // '../compose', '../compose.js' and '../compose.ts' all name main/compose.ts; a folder
        // ('./on-device') still falls under its prefix with '.ts' appended.
        const to = layerAt(`${target.replace(/\.(m?[jt]s)$/, '')}.ts`);
        if (!to || to === from || rule.layers.includes(to)) return;
        if (typeOnly && rule.typeOnly?.includes(to)) return;
        const messageId = rule.typeOnly?.includes(to) ? 'typeOnly' : 'layer';
        context.report({ node, messageId, data: { from: `${from}/`, to: shown(to), specifier, why: rule.why || 'see docs/architecture.md#layers' } });
        return;
      }
      const name = packageName(specifier);
      if (name === 'electron' && !electronFiles.has(file)) {
        context.report({ node, messageId: 'electron' });
        return;
      }
      if (!rule) return;
      if (!rule.node && (name.startsWith('node:') || nodeBuiltins.has(name))) {
        context.report({ node, messageId: 'node', data: { from: `${from}/`, specifier, why: rule.why } });
      } else if (rule.packages.includes(name)) {
        context.report({ node, messageId: 'package', data: { from: `${from}/`, specifier, why: rule.why } });
      }
    }

    return {
      // Only `import type` is erased: under verbatimModuleSyntax `import { type X }` still loads the module.
      ImportDeclaration: (node) => check(node, node.source.value, node.importKind === 'type'),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
      TSImportType: (node) => {
        const literal = node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.source;
        if (literal?.type === 'Literal') check(node, literal.value, true);
      },
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') check(node, node.arguments[0].value, false);
      },
    };
  },
};

export default { rules: { imports: importsRule } };
