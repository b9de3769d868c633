/**
 * A vitest browser provider for Debian's Firefox ESR with no driver: it
 * starts `firefox-esr --headless` on the test page in a fresh profile, and
 * the page talks to vitest over its own websocket, as with vitest's
 * `preview` provider. No commands (userEvent, screenshots): the suites it
 * runs need none. playwright's Firefox needs its own patched build, and
 * geckodriver is no Debian package, so neither can drive it here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineBrowserProvider } from '@vitest/browser';

const firefoxPath = process.env.SOSPLICE_FIREFOX ?? '/usr/bin/firefox-esr';

// None of Firefox's own traffic: this network refuses it.
const prefs = {
  'app.update.auto': false,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'services.settings.server': 'data:,',
};

class FirefoxProvider {
  name = 'firefox-esr';
  supportsParallelism = false;
  #children: ChildProcess[] = [];
  #profiles: string[] = [];

  getCommandsContext(): Record<string, unknown> {
    return {};
  }

  async openPage(_sessionId: string, url: string): Promise<void> {
    const profile = mkdtempSync(join(tmpdir(), 'sosplice-firefox-'));
    this.#profiles.push(profile);
    writeFileSync(join(profile, 'user.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
    const child = spawn(firefoxPath, ['--headless', '--no-remote', '--profile', profile, url], { stdio: 'ignore' });
    this.#children.push(child);
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  }

  async close(): Promise<void> {
    for (const child of this.#children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // Bounded: a Firefox that does not quit in 5 s is killed.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const profile of this.#profiles) rmSync(profile, { recursive: true, force: true });
  }
}

export const firefoxEsr = () =>
  defineBrowserProvider({ name: 'firefox-esr', providerFactory: () => new FirefoxProvider() });
