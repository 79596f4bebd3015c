// Module resolution hooks for start-packaged-main.mjs: `electron` is the recording stand-in (inside
// Electron it is built in, not a package), and every other import made by the package's own code
// must resolve inside the package, so a dependency that only this repository's node_modules has
// fails here as it would in an installed app.

let root = '';
let standIn = '';

export function initialize(data) {
  root = data.root;
  standIn = data.standIn;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: standIn, shortCircuit: true };
  const resolved = await nextResolve(specifier, context);
  const fromPackage = context.parentURL?.startsWith(root);
  if (fromPackage && resolved.url.startsWith('file:') && !resolved.url.startsWith(root)) {
    throw new Error(`${specifier} (imported by ${context.parentURL}) resolved outside the package: ${resolved.url}`);
  }
  return resolved;
}
