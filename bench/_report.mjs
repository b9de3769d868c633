// Turning results into the files bench/run.mjs writes: the Markdown table
// and a hand-written SVG bar chart (no dependencies).

/** Rows of the first Markdown table in `md`: name, CPU s/GiB, Gbit/s, peak RSS MiB. */
export function parseProxyTable(md) {
  const lines = md.split('\n').filter((l) => l.trim().startsWith('|'));
  if (lines.length < 3) return [];
  const cells = (l) => l.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const header = cells(lines[0]).map((h) => h.toLowerCase());
  const col = (re) => header.findIndex((h) => re.test(h));
  const cpu = col(/cpu s\/gib/);
  const gbit = col(/throughput|gbit/);
  const rss = col(/rss/);
  if (cpu === -1 || gbit === -1) return [];
  const rows = [];
  for (const line of lines.slice(2)) {
    const c = cells(line);
    if (c[0] === '' || /^-+$/.test(c[0])) break; // the next table
    rows.push({ name: c[0], cpuPerGiB: Number(c[cpu]), gbit: Number(c[gbit]), rssMiB: rss === -1 ? undefined : Number(c[rss]) });
  }
  return rows.filter((r) => Number.isFinite(r.cpuPerGiB));
}

/** Which kind a row is, for the chart's colours and the table's labels. */
export function kindOf(name) {
  if (/direct/i.test(name)) return 'sosplice-direct';
  if (/generic/i.test(name)) return 'sosplice-generic';
  return 'baseline';
}

// bench/deno/proxy.ts names its engines in one word; its footnote says what each is.
const SHORT_NAMES = {
  pipeTo: '`conn.readable.pipeTo` both ways',
  loop: 'hand-written `read`/`write` loop',
  adapterPipeTo: 'adapter streams under `pipeTo`',
};

export function labelOf(name) {
  const kind = kindOf(name);
  if (kind === 'sosplice-direct') return 'sosplice, direct path';
  if (kind === 'sosplice-generic') return 'sosplice, generic path (Web Streams)';
  return SHORT_NAMES[name] ?? name;
}

const COLORS = { 'sosplice-direct': '#1f6fb5', 'sosplice-generic': '#7fb2e0', baseline: '#9a9a9a', external: '#d9902f' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Two panels of horizontal bars, one row per proxy, grouped by runtime:
 * CPU seconds per GiB (shorter is better) and throughput (longer is better).
 * `groups`: [{ title, rows: [{ label, kind, cpuPerGiB, gbit }] }]; `subtitle` may hold newlines.
 */
export function chartSvg(groups, subtitle) {
  const labelW = 300;
  const panelW = 300;
  const gap = 40;
  const rowH = 20;
  const headH = 24;
  const subtitles = subtitle.split('\n');
  const top = 64 + 16 * (subtitles.length - 1);
  const width = labelW + 2 * panelW + gap + 40;
  const all = groups.flatMap((g) => g.rows);
  const maxCpu = Math.max(...all.map((r) => r.cpuPerGiB), 0.001);
  const maxGbit = Math.max(...all.map((r) => r.gbit), 0.001);
  const out = [];
  let y = top;
  for (const group of groups) {
    out.push(`<text x="8" y="${y + 16}" font-weight="bold">${esc(group.title)}</text>`);
    y += headH;
    for (const row of group.rows) {
      const color = COLORS[row.kind] ?? COLORS.baseline;
      const cpuW = (row.cpuPerGiB / maxCpu) * (panelW - 50);
      const gbitW = (row.gbit / maxGbit) * (panelW - 50);
      const x2 = labelW + panelW + gap;
      out.push(
        `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(row.label.replaceAll('`', ''))}</text>`,
        `<rect x="${labelW}" y="${y + 3}" width="${cpuW.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`,
        `<text x="${(labelW + cpuW + 4).toFixed(1)}" y="${y + 14}">${row.cpuPerGiB.toFixed(2)}</text>`,
        `<rect x="${x2}" y="${y + 3}" width="${gbitW.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`,
        `<text x="${(x2 + gbitW + 4).toFixed(1)}" y="${y + 14}">${row.gbit.toFixed(2)}</text>`,
      );
      y += rowH;
    }
    y += 6;
  }
  const height = y + 40;
  const legend = [
    ['sosplice, direct path', COLORS['sosplice-direct']],
    ['sosplice, generic path', COLORS['sosplice-generic']],
    ['runtime baselines', COLORS.baseline],
    ['native proxies', COLORS.external],
  ]
    .map(([name, color], i) => `<rect x="${labelW + i * 165}" y="${height - 28}" width="12" height="12" fill="${color}"/><text x="${labelW + i * 165 + 16}" y="${height - 18}">${esc(name)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="20" font-size="15" font-weight="bold">Loopback proxy, one connection: proxy CPU and throughput</text>
${subtitles.map((line, i) => `<text x="8" y="${38 + 16 * i}" fill="#555">${esc(line)}</text>`).join('\n')}
<text x="${labelW}" y="${top - 6}" font-weight="bold">proxy CPU seconds per GiB (shorter is better)</text>
<text x="${labelW + panelW + gap}" y="${top - 6}" font-weight="bold">throughput, Gbit/s (longer is better)</text>
<line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${y}" stroke="#ccc"/>
<line x1="${labelW + panelW + gap}" y1="${top}" x2="${labelW + panelW + gap}" y2="${y}" stroke="#ccc"/>
${out.join('\n')}
${legend}
</svg>
`;
}
