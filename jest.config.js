/** Tests run TypeScript through swc (no type-check); `npm run typecheck` covers types. */

// Packages that ship only ES modules. Node 20.19+ requires them natively (the build runs so);
// Jest's own module loader cannot until Node 24.9, so swc turns them into CommonJS for tests.
const ESM_ONLY = ['jose', 'cookie'];

module.exports = {
  testEnvironment: '<rootDir>/test/node-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Judged on the innermost node_modules folder (light-my-request nests its own cookie).
  transformIgnorePatterns: [`/node_modules/(?!.*/node_modules/)(?!(${ESM_ONLY.join('|')})/)`],
  testTimeout: 60_000,
};
