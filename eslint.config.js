// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const NODE_PREFIX = {
  regex: '^(?!node:)(fs|net|tls|http|http2|https|crypto|stream|os|path|url|events|util|child_process)$',
  message: 'use the node: prefix',
};

/**
 * A layer rule: files under `folder` (and their tests) may not import from the folders of src/ named
 * in `forbidden`. Relative specifiers only, which is what the code uses.
 */
function layer(folder, forbidden, message) {
  const upward = `^(\\.\\./)+(${forbidden.join('|')})/`;
  return [
    {
      files: [`${folder}/**/*.ts`],
      // A unit test may use an adapter of a lower layer's port (an in-memory store, say).
      ignores: [`${folder}/**/*.test.ts`],
      rules: {
        'no-restricted-imports': ['error', { patterns: [NODE_PREFIX, { regex: upward, message }] }],
      },
    },
  ];
}

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
          patterns: [NODE_PREFIX],
        },
      ],
    },
  },
  // The layers of src/ (docs/architecture.md): each folder imports only the folders below it. One
  // rule per folder, naming what it must not import; tests are held to the same rules as their code.
  ...layer(
    'src/pki',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'model',
      'observability',
      'policy',
      'rules',
      'runtime-config',
      'store',
    ],
    'pki/ is a pure leaf: it imports only errors/',
  ),
  ...layer(
    'src/rules',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'model',
      'observability',
      'pki',
      'policy',
      'runtime-config',
      'store',
    ],
    'rules/ is a pure leaf: it imports only errors/',
  ),
  ...layer(
    'src/model',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'observability',
      'pki',
      'policy',
      'rules',
      'runtime-config',
      'store',
    ],
    'model/ is the domain model: it imports only errors/',
  ),
  ...layer(
    'src/est',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'observability',
      'policy',
      'rules',
      'runtime-config',
      'store',
    ],
    'est/ holds the pure parts of EST (RFC 7030): it imports only errors/, model/ and pki/',
  ),
  ...layer(
    'src/policy',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'observability',
      'pki',
      'rules',
      'runtime-config',
      'store',
    ],
    'policy/ is a pure leaf: it imports only errors/ and model/',
  ),
  ...layer(
    'src/observability',
    ['admin-api', 'admin-client', 'app', 'cli', 'config', 'control', 'data-plane', 'demo', 'runtime-config', 'store'],
    'observability/ imports only the leaves',
  ),
  ...layer(
    'src/config',
    [
      'admin-api',
      'admin-client',
      'app',
      'cli',
      'control',
      'data-plane',
      'demo',
      'observability',
      'runtime-config',
      'store',
    ],
    'config/ (options and the YAML file) imports only the leaves',
  ),
  ...layer(
    'src/store',
    ['admin-api', 'admin-client', 'app', 'cli', 'control', 'data-plane', 'demo', 'observability'],
    'store/ is below the planes: it implements their ports',
  ),
  ...layer(
    'src/runtime-config',
    ['admin-api', 'admin-client', 'app', 'cli', 'control', 'data-plane', 'demo', 'observability', 'store'],
    'runtime-config/ is where the planes meet: it imports neither',
  ),
  ...layer(
    'src/control',
    ['admin-api', 'admin-client', 'app', 'cli', 'data-plane', 'demo'],
    'the control plane never imports the data plane, the admin API or the apps',
  ),
  ...layer(
    'src/data-plane',
    ['admin-api', 'admin-client', 'app', 'cli', 'control', 'demo', 'observability', 'store'],
    'the data plane reads only runtime-config/ (snapshots and ports), never the control plane or the store',
  ),
  ...layer(
    'src/admin-api',
    ['admin-client', 'app', 'cli', 'data-plane', 'demo'],
    'the admin API calls the control plane, never the data plane or the apps',
  ),
  ...layer(
    'src/portal',
    ['admin-client', 'app', 'cli', 'data-plane', 'demo'],
    'the developer portal is a face like the admin API: it calls the control plane, never the data plane or the apps',
  ),
  ...layer(
    'src/admin-client',
    [
      'admin-api',
      'app',
      'cli',
      'config',
      'control',
      'data-plane',
      'demo',
      'model',
      'observability',
      'pki',
      'policy',
      'rules',
      'runtime-config',
      'store',
    ],
    'admin-client/ speaks HTTP to the admin API: it imports only errors/',
  ),
  ...layer(
    'src/demo',
    ['admin-api', 'app', 'cli', 'control', 'data-plane', 'runtime-config', 'store'],
    'the demo drives a gateway through the admin client, like a user',
  ),
  ...layer('src/app', ['cli', 'demo'], 'app/ holds the composition roots: the CLI calls them, not the other way round'),
  {
    // pki/ tests may also use the shared test helpers (test/helpers/), and nothing else of ours.
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
