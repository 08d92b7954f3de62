/** @type {import('jest').Config} */
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: 'tsconfig.json',
      astTransformers: { before: ['<rootDir>/test/jest/swagger-plugin.transformer.js'] },
    },
  ],
  // content-disposition 3 (via @fastify/static, which Swagger UI needs) ships ESM only; Node 20
  // requires it natively but Jest cannot, so tests transpile that one package to CommonJS.
  '^.+/node_modules/content-disposition/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true },
  ],
};

const transformIgnorePatterns = ['/node_modules/(?!content-disposition/)'];
// Builds kept for A/B benchmarks (npm run bench:ab) are copies of dist/ and package.json.
const modulePathIgnorePatterns = ['<rootDir>/.bench-builds/'];

module.exports = {
  globalSetup: '<rootDir>/test/jest/redis.global-setup.js',
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      moduleFileExtensions: ['ts', 'js', 'json'],
      transform,
      transformIgnorePatterns,
      modulePathIgnorePatterns,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      moduleFileExtensions: ['ts', 'js', 'json'],
      transform,
      transformIgnorePatterns,
      modulePathIgnorePatterns,
    },
  ],
};
