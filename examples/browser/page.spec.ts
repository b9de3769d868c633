/**
 * The example page, driven in the system Chromium as a user would: fill the
 * fields, click, wait for the page to say it ended, read the page. Every
 * figure is compared with the server's byte pattern computed here.
 */
import { type Browser, type Page, chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../../test/browser/chromium';
import { FNV_START, fillPattern, fnv1a, hex, startServer } from './server.mjs';

const MiB = 1024 * 1024;
const pattern = (offset: number, n: number) => fillPattern(new Uint8Array(n), offset);
const checksum = (n: number) => `0x${fnv1a(FNV_START, pattern(0, n)).toString(16).padStart(8, '0')}`;

interface Run {
  size: number;
  stallAfter?: number;
  max?: string;
  idle?: string;
  sink?: 'count' | 'opfs';
}

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startServer({ port: 0 });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  page = await browser.newPage();
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function start(run: Run): Promise<void> {
  await page.fill('#size', String(run.size));
  await page.fill('#stallAfter', String(run.stallAfter ?? 0));
  await page.fill('#max', run.max ?? '');
  await page.fill('#idle', run.idle ?? '');
  await page.selectOption('#sink', run.sink ?? 'count');
  await page.click('#start');
}

const fields = ['state', 'bytes', 'reason', 'resultBytes', 'remainder', 'received', 'checksum', 'pattern', 'after', 'rest', 'error'];

/** Waits for the page to say it ended, then reads every field it shows. */
async function ended(): Promise<Record<string, string>> {
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ended', null, { timeout: 25_000 });
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, document.getElementById(id)?.textContent ?? ''])), fields);
}

describe('examples/browser: fetch() spliced into a WritableStream in Chromium', () => {
  it('delivers the whole body at eof, every byte as sent, into a counting sink', async () => {
    const size = 8 * MiB + 123;
    await start({ size });
    const page = await ended();
    expect(page).toMatchObject({ reason: 'eof', resultBytes: String(size), bytes: String(size), received: String(size), error: '' });
    expect(page.checksum).toBe(checksum(size));
    expect(page.pattern).toBe('yes, every byte');
  });

  it('writes the whole body into a file of the Origin Private File System', async () => {
    const size = 3 * MiB + 7;
    await start({ size, sink: 'opfs' });
    const page = await ended();
    expect(page).toMatchObject({ reason: 'eof', resultBytes: String(size), received: String(size), error: '' });
    expect(page.checksum).toBe(checksum(size));
  });

  it('takes exactly max bytes, and the rest of the body is still readable from the next byte on', async () => {
    const size = 8 * MiB;
    const max = 3_000_001; // not a chunk boundary: the splice must cut a chunk
    await start({ size, max: String(max) });
    const page = await ended();
    expect(page).toMatchObject({ reason: 'max', resultBytes: String(max), received: String(max), error: '' });
    // Chromium's fetch body is a byte stream: the splice read no byte past max.
    expect(page.remainder).toBe('none');
    expect(page.checksum).toBe(checksum(max));
    expect(page.after).toBe(hex(pattern(max, 16)));
    expect(page.rest).toBe(`${size - max} bytes to the end, as sent; ${max} + ${size - max} = ${size}`);
  });

  it('ends with idle once the server stalls, after every byte it sent', async () => {
    const stallAfter = 1 * MiB + 3;
    // Generous idle: a loaded machine may pause between chunks that did come.
    await start({ size: 8 * MiB, stallAfter, idle: '1500' });
    const page = await ended();
    expect(page).toMatchObject({ reason: 'idle', resultBytes: String(stallAfter), received: String(stallAfter), error: '' });
    expect(page.checksum).toBe(checksum(stallAfter));
    expect(page.after).toBe('(none)');
  });

  it('shows splice.bytes live and ends with unsplice on the button', async () => {
    const stallAfter = 2 * MiB + 5;
    await start({ size: 8 * MiB, stallAfter });
    // The count and the bar reach what the server sent while the splice still runs.
    await page.waitForFunction((n) => document.getElementById('bytes')?.textContent === String(n), stallAfter, { timeout: 25_000 });
    expect(await page.textContent('#state')).toBe('splicing');
    expect(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value)).toBe(stallAfter);
    await page.click('#unsplice');
    const result = await ended();
    expect(result).toMatchObject({ reason: 'unsplice', resultBytes: String(stallAfter), received: String(stallAfter), error: '' });
    expect(result.checksum).toBe(checksum(stallAfter));
  });

  it('shows the core refusing a bad max with a RangeError and its code', async () => {
    await start({ size: 1024, max: '-1' });
    const page = await ended();
    expect(page.reason).toBe('');
    expect(page.error).toMatch(/^RangeError ERR_OUT_OF_RANGE: .*max.*-1/);
  });
});
