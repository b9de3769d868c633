/**
 * The one Chromium every browser test uses: Debian's `chromium` package,
 * never a browser downloaded by a test tool (`.ci/run` installs it).
 */
export const chromiumPath = process.env.SOSPLICE_CHROMIUM ?? '/usr/bin/chromium';

// Headless as root in a closed network: no sandbox (root), no GPU, and none
// of Chromium's own background traffic, which this network refuses. Playwright
// adds --headless and a fresh temporary --user-data-dir itself.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
