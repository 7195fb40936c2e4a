// Imports flow one way: api -> workflow contracts (+ types); worker -> activities + workflows by path;
// workflows -> contracts and `import type` from activities; nothing in src imports api or worker; ops and
// monitoring are leaves that read what the runtimes write, and nothing in src imports ops.
import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const noEntryPoints = {
  regex: '^(\\.\\.?/)+(worker|(api/)?server)$',
  message: 'entry points are not imported',
};
const noOps = {
  group: ['**/ops', '**/ops/*'],
  message: 'operator tools are entry points: nothing imports them',
};
/** The worker's assembly and what only it builds: no part of either runtime reaches into them. */
const noWorkerAssembly = {
  group: ['../processing-worker', '../monitoring', '../monitoring/*', '@temporalio/worker'],
  message: 'the worker assembly builds these; the receiver and activities use the client',
};
/** A folder may import from a sibling folder only the modules named (regex alternatives). */
const only = (folder, modules, message) => ({
  regex: `^\\.\\./${folder}(/(?!(${modules})$).*)?$`,
  message,
});

export default tseslint.config(
  { ignores: ['**/node_modules/', 'dist/', '.tools/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'import-x/no-cycle': 'error',
    },
  },
  {
    // a promise nobody awaits loses its rejection: await it, return it, or say `void` where that is the intent
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'ioredis', 'koa', 'pino'],
              message: 'workflows run in the deterministic sandbox',
            },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'not sandbox-safe',
            },
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'import type only',
            },
            { regex: '^\\.\\./(?!activities(/|$))', message: 'workflows depend on contracts only' },
            noEntryPoints,
            noOps,
          ],
        },
      ],
    },
  },
  {
    files: ['src/activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../api', '../api/*'], message: 'activities do not know the receiver' },
            {
              regex: '^\\.\\./workflows(/(?!contracts$).*)?$',
              message: 'activities use workflows/contracts only',
            },
            noWorkerAssembly,
            noEntryPoints,
            noOps,
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    // the entry point is the composition root: with EMBEDDED_WORKER it assembles the worker beside the receiver
    ignores: ['src/api/server.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../activities', '../activities/*'], message: 'the receiver never runs activities' },
            {
              regex: '^\\.\\./workflows(/(?!contracts$).*)?$',
              allowTypeImports: true,
              message: 'type only',
            },
            noWorkerAssembly,
            noEntryPoints,
            noOps,
          ],
        },
      ],
    },
  },
  {
    files: ['src/monitoring/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../api', '../api/*'], message: 'monitoring does not know the receiver' },
            only(
              'activities',
              'alerts|best-effort',
              'monitoring sends alerts like the activities, nothing more',
            ),
            only('workflows', 'contracts', 'monitoring reads workflow contracts only'),
            { group: ['../processing-worker'], message: 'the worker builds monitoring, not the reverse' },
            noEntryPoints,
            noOps,
          ],
        },
      ],
    },
  },
  {
    files: ['src/ops/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            only(
              'api',
              'signature|start-event',
              'ops signs and starts events as the receiver does, nothing more',
            ),
            only('activities', 'dead-letters', 'ops closes dead letters as the workflow does, nothing more'),
            only('workflows', 'contracts', 'ops reads workflow contracts only'),
            {
              group: ['../monitoring', '../monitoring/*', '../processing-worker', '../admin-server'],
              message: 'operator tools are clients, not runtimes',
            },
            noEntryPoints,
          ],
        },
      ],
    },
  },
  {
    files: ['src/*.ts', 'src/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noOps] }] },
  },
);
