// Three projects: `unit` needs nothing outside the process; `integration` and `e2e`
// bring up real engines once (Docker, etcd, kube-apiserver) through scripts/testenv; `node`
// (test/e2e/node) runs the chart's pods on a real one-node cluster (scripts/testenv up cluster).
// One such cluster runs per host: two suites run at once on one host share it (the first to start it
// stops it), so run them one after the other. `npm run test:node` runs the `node` project alone.
// Jest runs a project's globalSetup only when at least one of its tests is selected.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Sources import siblings as `./x.js` (NodeNext); jest resolves the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

const nodeProject = {
  ...shared,
  displayName: 'node',
  testMatch: ['<rootDir>/test/e2e/node/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/cluster-setup.ts',
  globalTeardown: '<rootDir>/test/support/cluster-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
};

/** @type {import('jest').Config} */
export default {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/node/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
    },
    nodeProject,
  ],
};
