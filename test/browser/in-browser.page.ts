/**
 * The browser rows count browser runs only: this proves the tests beside it
 * ran in a page of the browser the row is named for, not in Node.
 */
import { server } from 'vitest/browser';
import { describe, expect, it } from 'vitest';

const userAgents: Record<string, RegExp> = { chromium: /HeadlessChrome\/\d+/, firefox: /Firefox\/\d+/ };

describe('the browser launchers', () => {
  it(`run their tests in a ${server.browser} page, with no Node globals`, () => {
    expect(navigator.userAgent).toMatch(userAgents[server.browser] ?? /^$/);
    expect(typeof document.createElement).toBe('function');
    expect((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node).toBeUndefined();
  });
});
