import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import globals from 'globals';
import layers from './scripts/lint/import-layers.js';

// Beyond the usual checks, lint enforces the import directions between folders
// (scripts/lint/import-layers.js; docs/architecture.md#layers) and, with type information,
// that no promise is dropped unawaited or passed where a plain callback is expected.
// Type-aware rules cover the product's folders only: type information roughly triples lint time
// (docs/testing.md), and test/ keeps the plain rules (its promises are awaited by vitest anyway).
// In .svelte templates these rules are blind: Svelte types DOM event handlers as returning `any`.
const typeAwareFiles = ['app/**/*.ts', 'main/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.svelte'];

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', '.cache/**', '**/.svelte-check/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    plugins: { layers },
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'layers/imports': 'error',
      // Stores hold 50k-item collections in $state.raw and replace them wholesale; deep-reactive
      // SvelteSet/SvelteMap would make every item a tracked proxy (docs/architecture.md, performance).
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // Each file is typed by its folder's tsconfig.json. Named here rather than found by the project
    // service: the same checks took 40 s of CPU instead of 57 s (`time npx eslint .`, one run each).
    files: typeAwareFiles,
    languageOptions: {
      parserOptions: {
        project: ['./app/tsconfig.json', './main/tsconfig.json', './renderer/tsconfig.json'],
        extraFileExtensions: ['.svelte'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
