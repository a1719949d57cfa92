// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', '.probe/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:)(fs|net|tls|http|http2|https|crypto|stream|os|path|url|events|util|child_process)$',
              message: 'use the node: prefix',
            },
          ],
        },
      ],
    },
  },
  {
    // pki/ is a pure leaf: it imports nothing of ours but errors/ (DESIGN.md §2).
    files: ['src/pki/**/*.ts'],
    ignores: ['src/pki/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(?!errors/)', message: 'pki/ imports only errors/' }] },
      ],
    },
  },
  {
    // rules/ and policy/ are pure leaves too (DESIGN.md §2): policy/ may read the record types of store/.
    files: ['src/rules/**/*.ts', 'src/policy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(admin-api|cli|config|control|data-plane|demo|observability|pki|runtime-config)/|^(\\.\\./)+store/(?!records\\.ts$)',
              message: 'rules/ and policy/ import only errors/ (and policy/ the types of store/records.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    // Its tests may also use the shared test helpers (test/helpers/), and nothing else of ours.
    files: ['src/pki/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!errors/|\\.\\./test/helpers/[\\w-]+\\.ts$)',
              message: 'pki/ tests import only errors/, pki/ and test/helpers/',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // Tests read JSON answers whose shape they then assert: `any` there is the point, not a hole.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
