import type { Config } from 'jest';

// Two projects: fast in-process tests run in parallel (2 workers: the machines
// have 2 cores); tests that start child processes or inject faults run in
// their own project, one file at a time (`npm test` runs both; see README).
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testPathIgnorePatterns: ['/node_modules/', '/support/'],
} as const;

const config: Config = {
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/**/*.test.ts'], testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.system\\.test\\.ts$'] },
    { ...common, displayName: 'system', testMatch: ['<rootDir>/__tests__/**/*.system.test.ts'] },
  ],
};

export default config;
