// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The dependency rule (ARCHITECTURE.md), enforced here and on the built bundles (scripts/check-bundles.mjs):
// `vscode` only in client/; core/ knows no editor or LSP library; tfjs loads only in the probe worker, never in
// the language server or the extension host. Type-only tfjs imports are erased, so they are allowed.
const VSCODE_IN_CLIENT_ONLY = { name: 'vscode', message: 'vscode is only imported in client/.' };
const NO_EDITOR_IN_CORE = {
  group: ['vscode', 'vscode-languageserver*', 'vscode-languageclient*', 'vscode-jsonrpc*'],
  message: 'core/ is editor-neutral: the LSP wiring lives in server/, the VS Code API in client/.',
};
const NO_TFJS = {
  group: ['@tensorflow/*'],
  allowTypeImports: true,
  message: 'tfjs never loads in the language server or the extension host; only the probe worker imports it.',
};
const NO_TFJS_DYNAMIC = [
  {
    selector: 'ImportExpression[source.value=/^@tensorflow\\//]',
    message: NO_TFJS.message,
  },
  {
    selector: "CallExpression[callee.name='require'][arguments.0.value=/^@tensorflow\\//]",
    message: NO_TFJS.message,
  },
];
/**
 * The core modules the language server loads (directly or through one another). The rest of core/ (layers,
 * probes, backend, cli) runs in the probe worker or the CLI, where tfjs is expected.
 */
const CORE_IN_SERVER = [
  'core/src/extract/**/*.ts',
  'core/src/rules/**/*.ts',
  'core/src/bounds/**/*.ts',
  'core/src/ir/**/*.ts',
  'core/src/protocol/**/*.ts',
  'core/src/report/**/*.ts',
  'core/src/specs/**/*.ts',
  'core/src/linalg/**/*.ts',
  'core/src/files/**/*.ts',
  'core/src/analysis.ts',
  'core/src/probes/run-audit.ts',
];

const restrict = (paths, patterns) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/out/**', 'test-output/**', 'corpus/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...restrict([VSCODE_IN_CLIENT_ONLY], []),
    },
  },
  // A later block's options replace an earlier one's for the same file: each lists everything that applies.
  { files: ['core/**/*.ts'], rules: restrict([], [NO_EDITOR_IN_CORE]) },
  {
    files: CORE_IN_SERVER,
    rules: {
      ...restrict([], [NO_EDITOR_IN_CORE, NO_TFJS]),
      'no-restricted-syntax': ['error', ...NO_TFJS_DYNAMIC],
    },
  },
  {
    files: ['server/src/**/*.ts'],
    rules: {
      ...restrict([VSCODE_IN_CLIENT_ONLY], [NO_TFJS]),
      'no-restricted-syntax': ['error', ...NO_TFJS_DYNAMIC],
    },
  },
  {
    // Sample user code: written the ways people write tfjs models, CommonJS included.
    files: ['examples/**/*.ts', 'examples/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['client/**/*.ts'], rules: restrict([], []) },
  {
    files: ['client/src/**/*.ts'],
    rules: { ...restrict([], [NO_TFJS]), 'no-restricted-syntax': ['error', ...NO_TFJS_DYNAMIC] },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
