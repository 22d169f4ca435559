/** Tests run TypeScript through swc (no type-check); `npm run typecheck` covers types. */
module.exports = {
  testEnvironment: '<rootDir>/test/node-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // jose 6 ships only ES modules. Node 20.19+ requires them natively (the build runs so);
    // Jest's own module loader cannot until Node 24.9, so swc turns them into CommonJS here.
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60_000,
};
