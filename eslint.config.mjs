// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Dependencies point one way (README, "Architecture"): a folder of src/ may import from the
 * folders of the layers below its own, never from its own layer's others or above, except where
 * SIDEWAYS says. The files at src/'s root (main.ts, app.module.ts, app.setup.ts,
 * request-context.ts) are above every folder; only cli/ imports them.
 */
const LAYERS = [
  ['cli', 'openapi'],
  ['messages', 'blooio-webhooks', 'health'],
  ['events'],
  ['message-records'],
  ['tenants'],
  ['logging', 'http'],
  ['rate-limit', 'idempotency'],
  ['problems'],
  ['sandbox'],
  ['blooio'],
  ['redis'],
  ['metrics', 'lifecycle'],
  ['config', 'runtime'],
  ['common'],
];
const SIDEWAYS = { cli: ['openapi'], logging: ['http'] };
const ROOT_FILES = ['main', 'app\\.module', 'app\\.setup', 'request-context', 'sandbox-receivers'];

/** One no-restricted-imports config per folder: its own layer's others and every layer above. */
const importDirection = LAYERS.flatMap((layer, index) =>
  layer.map((folder) => {
    const above = LAYERS.slice(0, index + 1)
      .flat()
      .filter((other) => other !== folder && !(SIDEWAYS[folder] ?? []).includes(other));
    const patterns = [];
    if (above.length > 0) {
      patterns.push({
        regex: `^(\\.\\./)+(${above.join('|')})(/|$)`,
        message: `${folder}/ may not import from this folder: dependencies point one way (README, Architecture).`,
      });
    }
    if (folder !== 'cli') {
      patterns.push({
        regex: `^(\\.\\./)+(${ROOT_FILES.join('|')})$`,
        message: `${folder}/ may not import the app's root files (README, Architecture).`,
      });
    }
    return {
      files: [`src/${folder}/**/*.ts`],
      ignores: ['**/*.spec.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    };
  }),
);

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'eslint.config.mjs', 'test/jest/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  ...importDirection,
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
