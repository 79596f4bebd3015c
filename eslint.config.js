import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import globals from 'globals';

// Beyond the usual checks, lint enforces DESIGN.md §1's import directions:
// app -> nothing; renderer -> app only; only main/index.ts, main/preload.ts and main/menu.ts
// may import electron.
const electronOnly = { name: 'electron', message: 'Only main/index.ts, main/preload.ts and main/menu.ts may import electron.' };

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': ['error', { paths: [electronOnly] }],
      // Stores hold 50k-item collections in $state.raw and replace them wholesale; deep-reactive
      // SvelteSet/SvelteMap would make every item a tracked proxy (DESIGN.md §3, performance).
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['main/index.ts', 'main/preload.ts', 'main/menu.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'child_process'], message: 'app/ is side-effect free: no Node modules.' },
            { group: ['../main/*', '../renderer/*', '../test/*'], message: 'app/ imports nothing from main, renderer or test.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
          patterns: [
            { group: ['node:*'], message: 'The renderer has no Node: ask main over window.api.' },
            { group: ['**/main/*', '**/main/**'], message: 'renderer -> main is forbidden: use window.api.' },
          ],
        },
      ],
    },
  },
);
