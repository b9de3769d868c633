// Connection rate (issue 10): ApacheBench against nginx (a 100-byte page)
// directly and through each runtime's proxies, a new connection per request
// and with keep-alive (`ab -k`). Per round, every variant in rotated order,
// each on a fresh proxy: a warm-up ab run, then the measured one, with the
// proxy's CPU (user, user + system, its whole process tree) from /proc.
// Figures: medians over rounds; ratios: medians of same-round ratios.
import { ab, startNginx } from './_nginx.mjs';
import { treeCpuSeconds } from './_procfs.mjs';
import { attempt, fixed, medianOf, pairedRatio, PROXIES, ratioText, rotate, startVariant, variantsOf } from './_proxies.mjs';

// With keep-alive 5,000 requests take a fifth of a second: too short for
// /proc's 10 ms CPU ticks, so that mode sends `KEEPALIVE_FACTOR` times more.
export const KEEPALIVE_FACTOR = 4;
const MODES = { close: { keepAlive: false, factor: 1 }, keepalive: { keepAlive: true, factor: KEEPALIVE_FACTOR } };

async function measure(tools, port, pid, mode, { concurrency, ...settings }) {
  const { keepAlive, factor } = MODES[mode];
  const options = { keepAlive, concurrency };
  const requests = settings.requests * factor;
  await ab(tools.ab, port, { ...options, requests: Math.max(concurrency, Math.round(requests / 10)) }); // warm-up: JIT, pools
  const cpu0 = treeCpuSeconds(pid);
  const r = await ab(tools.ab, port, { ...options, requests });
  const cpu1 = treeCpuSeconds(pid);
  const perK = 1000 / requests;
  return { rps: r.rps, failed: r.failed, userPer1k: (cpu1.user - cpu0.user) * perK, totalPer1k: (cpu1.total - cpu0.total) * perK };
}

/**
 * Runs the rate benchmark; resolves to `{ settings, rows, errors }`, one row per
 * (runtime, proxy) with per-mode medians and, for sosplice, its ratio to the
 * baseline. A proxy that fails a round leaves a hole there and an entry in `errors`.
 */
export async function runRate({ tools, runtimes, rounds = 3, requests = 5000, concurrency = 50, log = console.error }) {
  const nginx = await startNginx(tools.nginx);
  const variants = [{ runtime: 'nginx', proxy: 'direct' }, ...variantsOf(runtimes)];
  const key = (v) => `${v.runtime}/${v.proxy}`;
  const samples = new Map(variants.map((v) => [key(v), []]));
  const errors = [];
  const text = (s) => `${s.rps.toFixed(0)} req/s, ${s.userPer1k.toFixed(3)}/${s.totalPer1k.toFixed(3)} CPU s/1k${s.failed ? `, ${s.failed} failed` : ''}`;
  try {
    for (let round = 0; round < rounds; round++) {
      const modes = rotate(Object.keys(MODES), round);
      for (const v of rotate(variants, round)) {
        const sample = await attempt(`rate ${key(v)} round ${round + 1}`, errors, log, async () => {
          const proxy = v.runtime === 'nginx' ? undefined : await startVariant(v.runtime, v.proxy, nginx.port);
          try {
            const [port, pid] = proxy ? [proxy.port, proxy.child.pid] : [nginx.port, nginx.pid];
            const sample = {};
            for (const mode of modes) sample[mode] = await measure(tools, port, pid, mode, { requests, concurrency });
            return sample;
          } finally {
            await proxy?.stop(10_000);
          }
        });
        samples.get(key(v))[round] = sample;
        if (sample) log(`rate round ${round + 1}/${rounds} ${key(v).padEnd(17)} no keep-alive ${text(sample.close)} | -k ${text(sample.keepalive)}`);
      }
    }
  } finally {
    await nginx.stop();
  }

  const rows = variants.map((v) => {
    const xs = samples.get(key(v));
    const row = { runtime: v.runtime, proxy: v.proxy };
    for (const mode of Object.keys(MODES)) {
      const m = (field) => medianOf(xs.map((s) => s?.[mode][field]));
      row[mode] = { rps: m('rps'), userPer1k: m('userPer1k'), totalPer1k: m('totalPer1k'), failed: xs.reduce((n, s) => n + (s?.[mode].failed ?? 0), 0) };
      if (v.proxy.startsWith('sosplice')) row[mode].ratio = pairedRatio(xs, samples.get(`${v.runtime}/baseline`), (s) => s[mode].rps);
    }
    return row;
  });
  return { settings: { rounds, requests, keepAliveRequests: requests * KEEPALIVE_FACTOR, concurrency }, rows, errors };
}

/** The rate rows as a Markdown table (ratio = sosplice req/s over the baseline's; target >= 0.9x). */
export function rateTable({ rows }) {
  const cell = (m) => `${fixed(m.rps, 0)}${m.failed ? ` (${m.failed} failed)` : ''}`;
  const cpu = (m) => `${fixed(m.userPer1k, 3)} / ${fixed(m.totalPer1k, 3)}`;
  const label = (r) => (r.runtime === 'nginx' ? 'none (nginx directly)' : PROXIES[r.proxy].label(r.runtime));
  return [
    '| runtime | proxy | req/s, no keep-alive | ratio | req/s, `-k` | ratio | CPU s per 1k req, no keep-alive (user / total) | same, `-k` |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.runtime === 'nginx' ? '–' : r.runtime} | ${label(r)} | ${cell(r.close)} | ${ratioText(r.close.ratio)} | ${cell(r.keepalive)} | ${ratioText(r.keepalive.ratio)} | ${cpu(r.close)} | ${cpu(r.keepalive)} |`,
    ),
  ].join('\n');
}
