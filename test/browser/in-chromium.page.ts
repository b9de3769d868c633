/**
 * The chromium row counts browser runs only: this proves the tests beside it
 * ran in a Chromium page, not in Node with a browser's name on the row.
 */
import { describe, expect, it } from 'vitest';

describe('the chromium launcher', () => {
  it('runs its tests in a Chromium page, with no Node globals', () => {
    expect(navigator.userAgent).toMatch(/HeadlessChrome\/\d+/);
    expect(typeof document.createElement).toBe('function');
    expect((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node).toBeUndefined();
  });
});
