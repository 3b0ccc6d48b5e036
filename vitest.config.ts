import { defineConfig } from 'vitest/config';

// The suite must hold on a loaded machine (CI runners, two cores shared with other jobs): a test's
// timeout is a guard against a hang, not a speed check (speed is measured in bench/). Tests that
// need longer say so themselves.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
