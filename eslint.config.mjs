// Imports flow one way: api -> workflow contracts (+ types); worker -> activities + workflows by path;
// workflows -> contracts and `import type` from activities; nothing in src imports api or worker.
import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const noEntryPoints = { group: ['**/worker', '**/api/server'], message: 'entry points are not imported' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/'] },
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
            {
              group: ['../api', '../api/*', '../config', '../logger'],
              message: 'workflows depend on contracts only',
            },
            noEntryPoints,
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
            noEntryPoints,
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts'],
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
            noEntryPoints,
          ],
        },
      ],
    },
  },
);
