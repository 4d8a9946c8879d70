/**
 * Just enough of the Chrome DevTools Protocol to load a page in headless
 * Chromium and ask it what a user would see: console errors, images that did
 * not render, a screenshot. Spoken over --remote-debugging-pipe (JSON messages
 * ended by NUL on file descriptors 3 and 4), so nothing listens on a port and
 * no package beyond Debian's chromium is needed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The browser to use: $CHROMIUM, else the first of Debian's and others' names on the PATH; null when there is none. */
export function findChromium(): string | null {
  const named = process.env['CHROMIUM'];
  if (named) return named;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

interface Message { id?: number; method?: string; params?: any; result?: any; error?: { message: string }; sessionId?: string }

export class Browser {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  private buffer = '';

  private constructor(private readonly proc: ChildProcess, private readonly profile: string) {
    const input = proc.stdio[4] as Readable;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
  }

  /** Starts headless Chromium offline, with a throwaway profile in `profile`. */
  static launch(executable: string, profile: string): Browser {
    const proc = spawn(executable, [
      '--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--hide-scrollbars',
      // Root (as in CI containers) cannot use Chromium's sandbox; the page is our own report.
      '--no-sandbox', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new Browser(proc, profile);
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
      return;
    }
    for (const l of this.listeners) l(m);
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.next++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.proc.stdio[3] as Writable).write(`${message}\0`);
    });
  }

  on(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  /** The next event named `method` in `sessionId`. */
  waitFor(method: string, sessionId: string, timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.on((m) => {
        if (m.method === method && m.sessionId === sessionId) {
          clearTimeout(timer);
          resolve(m.params);
        }
      });
    });
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise<void>((resolve) => (this.proc.exitCode !== null ? resolve() : this.proc.once('exit', () => resolve())));
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

export interface PageVisit {
  /** Console errors, uncaught exceptions and browser log errors (a blocked load, a CSP violation). */
  errors: string[];
  /** Every <img>: its src and whether it rendered (loaded with a size). */
  images: { src: string; rendered: boolean }[];
  /** A PNG of the element `screenshotOf`, when it exists. */
  screenshot: Buffer | null;
}

/** Opens `file` offline in a 1280-px-wide window and reports what happened. */
export async function visit(browser: Browser, file: string, screenshotOf: string): Promise<PageVisit> {
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
  const errors: string[] = [];
  browser.on((m) => {
    if (m.sessionId !== sessionId) return;
    if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${m.params.exceptionDetails.text}`);
    if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') errors.push(`console: ${JSON.stringify(m.params.args)}`);
    if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') errors.push(`log: ${m.params.entry.text}`);
  });
  for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await browser.send(`${domain}.enable`, {}, sessionId);
  await browser.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }, sessionId);
  await browser.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = browser.waitFor('Page.loadEventFired', sessionId, 60_000);
  await browser.send('Page.navigate', { url: `file://${path.resolve(file)}` }, sessionId);
  await loaded;
  const evaluate = async (expression: string): Promise<any> =>
    (await browser.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value;
  const images = await evaluate('[...document.images].map((i) => ({ src: i.getAttribute("src"), rendered: i.complete && i.naturalWidth > 0 }))');
  const rect = await evaluate(`(() => { const e = document.getElementById(${JSON.stringify(screenshotOf)}); if (!e) return null;
    const r = e.getBoundingClientRect(); return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }; })()`);
  const screenshot = rect
    ? Buffer.from((await browser.send('Page.captureScreenshot', { format: 'png', clip: { ...rect, scale: 1 }, captureBeyondViewport: true }, sessionId)).data, 'base64')
    : null;
  await browser.send('Target.closeTarget', { targetId });
  return { errors, images, screenshot };
}
