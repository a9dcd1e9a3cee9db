import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '@parley/platform/testing';
import { ensureChromium, launchChromium } from './chromium';
import { simDevice, type SimDevice } from './device-sim';

// The owner portal and the manufacturer console in a real browser (Debian's Chromium through
// playwright-core) against the real embedded platform: Aedes, file log, chDB, PGlite, Fastify.

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');
const shots = join(here, '../test-output/screenshots');
const UPDATE_DOCS = process.env['PARLEY_UPDATE_SCREENSHOTS'] === '1';

let p: TestPlatform;
let browser: Browser;
let fridge: SimDevice;
const others: SimDevice[] = [];
let claimCode: string;
let owner: Page;
let engineer: Page;
const contexts: BrowserContext[] = [];

/** The whole page, or with `focus` the screen around it (a note deep in a long conversation). */
async function shot(page: Page, name: string, focus?: Locator): Promise<void> {
  const file = join(shots, `${name}.png`);
  if (focus) await focus.scrollIntoViewIfNeeded();
  await page.screenshot({ path: file, fullPage: !focus });
  if (UPDATE_DOCS) await copyFile(file, join(repo, 'docs/screenshots', `${name}.png`));
}

async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const ctx = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.goto(`${p.httpUrl}/sign-in`);
  await page.getByRole('textbox', { name: 'Token', exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, [join(repo, 'scripts/build-web.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Building the web UI failed:\n${build.stderr}`);
  ensureChromium();
  await mkdir(shots, { recursive: true });
  if (UPDATE_DOCS) await mkdir(join(repo, 'docs/screenshots'), { recursive: true });
  [p, browser] = await Promise.all([startTestPlatform({ config: { kAnonymity: 2 } }), launchChromium()]);

  const provision = async (firmware: string, count: number) => {
    const res = await p.request('POST', '/v1/devices', { body: { model: 'fridge-x1', firmware, count } });
    expect(res.status).toBe(201);
    return res.body.devices as { id: string; secret: string; claimCode: string }[];
  };
  const [mine] = await provision('1.4.2', 1);
  claimCode = mine!.claimCode;
  fridge = await simDevice(p.mqttUrl, mine!, '1.4.2');
  // A small fleet on two firmware versions for the console; one device on 1.5.0 reports errors.
  for (const [fw, creds] of [...(await provision('1.4.2', 2)).map((c) => ['1.4.2', c] as const), ...(await provision('1.5.0', 2)).map((c) => ['1.5.0', c] as const)]) {
    const d = await simDevice(p.mqttUrl, creds, fw);
    others.push(d);
    await d.send();
    if (fw === '1.5.0') await d.send({ events: [{ code: 'compressor_fault', severity: 'error', timeMs: Date.now(), message: 'Compressor did not start', attributes: {} }] });
  }
  [owner, engineer] = await Promise.all([newPage(), newPage()]);
}, 600_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  for (const d of [fridge, ...others]) await d?.close();
  await p?.destroy();
});

describe('served by the API', () => {
  it('serves the app at / and its own paths, never shadowing the API', async () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.httpUrl}${path}`, { headers });
    const index = await get('/my/devices/anything');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await get(asset, { 'accept-encoding': 'br' });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await get('/v1/nothing-here')).status).toBe(404);
    expect((await (await get('/v1/nothing-here')).json()).error.code).toBe('route_not_found');
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/healthz')).headers.get('content-type')).toContain('application/json');
    const doc = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((k) => !k.startsWith('/v1/') && !['/healthz', '/readyz', '/metrics'].includes(k))).toEqual([]);
  });
});

describe('owner portal', () => {
  it('signs up as an owner, claims the device and sees live samples arrive', async () => {
    await owner.goto(p.httpUrl);
    await owner.waitForURL('**/sign-in');
    await shot(owner, 'sign-in');
    await owner.getByLabel('Display name (optional)').fill('Sam');
    await owner.getByRole('button', { name: 'Create owner account' }).click();
    await expect.poll(() => owner.getByTestId('new-token').textContent()).toMatch(/^prl_tok_/);
    await owner.getByRole('button', { name: 'Continue to my devices' }).click();
    await owner.waitForURL('**/my');

    await owner.getByLabel('Device id').fill(fridge.id);
    await owner.getByLabel('Claim code').fill(claimCode);
    await owner.getByRole('button', { name: 'Claim', exact: true }).click();
    await owner.waitForURL(`**/my/devices/${fridge.id}`);
    await owner.locator('.cat-ownership', { hasText: 'Claimed' }).waitFor();

    // Back online after a while: the device flushes its buffer of the last 45 minutes, then reports live.
    const now = Date.now();
    const minutes = Array.from({ length: 45 }, (_, i) => now - (45 - i) * 60_000);
    await fridge.send({
      samples: minutes.flatMap((t, i) => [
        { metric: 'cabinet.temp_c', value: 4 + Math.sin(i / 5) * 0.8, timeMs: t },
        { metric: 'power_w', value: 90 + Math.sin(i / 4) * 30 + (i % 3) * 4, timeMs: t },
      ]),
    });
    fridge.tick(400);
    const live = owner.getByTestId('live-status');
    await expect.poll(async () => Number(/\((\d+) new\)/.exec((await live.textContent()) ?? '')?.[1] ?? 0), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    expect(await owner.locator('[data-kind="uplink"]').count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => owner.locator('[data-kind="uplink"]').first().textContent()).toContain('power_w');
    await shot(owner, 'owner-conversation');
  });

  it('shows a metric chart and the insights', async () => {
    await owner.getByRole('link', { name: 'Charts and insights' }).click();
    await owner.getByLabel('Metric').selectOption('power_w');
    await owner.getByLabel('Range').selectOption({ label: 'Last hour' });
    await owner.locator('.chart canvas').waitFor();
    await owner.getByRole('heading', { name: 'Trends' }).waitFor();
    await shot(owner, 'owner-insights');
  });

  it('creates a grant with a consent receipt, then revokes it', async () => {
    await owner.getByRole('link', { name: 'Sharing' }).click();
    await owner.getByLabel('Who (app, installer, insurer…)').fill('Energy coach');
    await owner.getByRole('checkbox', { name: 'power_w' }).check();
    await owner.getByLabel('Access ends after (days)').fill('7');
    await owner.getByLabel('Purpose (shown in the receipt and the access log)').fill('energy saving tips');
    await owner.getByRole('button', { name: 'Grant access' }).click();
    const created = owner.getByTestId('grant-created');
    await created.getByText('Consent receipt').waitFor();
    const appToken = (await created.locator('code.token').textContent())!;
    expect(appToken).toMatch(/^prl_tok_/);
    const row = owner.getByTestId('grants').locator('tbody tr', { hasText: 'energy saving tips' });
    await row.getByText('active').waitFor();
    expect((await p.request('GET', `/v1/devices/${fridge.id}/conversation?limit=1`, { token: appToken })).status).toBe(200);
    await shot(owner, 'owner-sharing');

    // The app signs in with its token and sees only the granted metric.
    const app = await newPage();
    await signInWithToken(app, appToken);
    await app.waitForURL('**/shared');
    await app.getByTestId('shared-grants').getByText('energy saving tips').waitFor();
    await app.getByRole('button', { name: 'Show the shared data' }).click();
    await app.locator('[data-kind="uplink"]').first().waitFor();
    expect(await app.locator('[data-kind="uplink"]').first().textContent()).toContain('power_w');
    expect(await app.locator('[data-kind="uplink"]').first().textContent()).not.toContain('cabinet.temp_c');
    await shot(app, 'grantee-shared');

    await row.getByRole('button', { name: 'Revoke access for energy saving tips' }).click();
    await row.getByText('revoked').waitFor();
    expect((await p.request('GET', `/v1/devices/${fridge.id}/conversation?limit=1`, { token: appToken })).status).toBe(404);
  });
});

describe('manufacturer console and the owner’s view of it', () => {
  it('an engineer opens the device only after saying why, and proposes a command', async () => {
    await signInWithToken(engineer, p.token);
    await engineer.waitForURL('**/console');
    await engineer.goto(`${p.httpUrl}/console/devices/${fridge.id}`);
    expect(await engineer.locator('[data-kind]').count()).toBe(0); // nothing loaded before the reason
    await engineer.getByLabel('Reason').selectOption('support-case');
    await engineer.getByLabel('Reference (required)').fill('4711');
    await engineer.getByRole('button', { name: 'Open device' }).click();
    await engineer.locator('[data-kind="uplink"]').first().waitFor();
    await engineer.locator('.cat-ownership', { hasText: 'Claimed' }).waitFor();

    await engineer.getByLabel('Reason (shown to the owner)').fill('Ice build-up detected on the evaporator');
    await engineer.getByRole('button', { name: 'Propose' }).click();
    await engineer.getByTestId('commands').locator('tbody tr', { hasText: 'pending' }).waitFor();
    await shot(engineer, 'console-device');
  });

  it("the owner sees the engineer's read in the access log", async () => {
    await owner.getByRole('link', { name: 'Access log' }).click();
    const entry = owner.getByTestId('access-log').locator('tbody tr', { hasText: 'support-case:4711' });
    await entry.first().waitFor();
    expect(await entry.first().textContent()).toContain('Manufacturer engineer');
    await shot(owner, 'owner-access-log');
  });

  it('the owner approves the command and sees the device confirm it', async () => {
    await owner.getByRole('link', { name: 'Commands' }).click();
    await owner.getByTestId('pending-commands').getByText('Ice build-up detected on the evaporator').waitFor();
    await owner.getByRole('button', { name: 'Approve defrost' }).click();
    const row = owner.getByTestId('commands').locator('tbody tr[data-state="acked"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('defrost started');
    await shot(owner, 'owner-commands');
    // The engineer's page follows the state too.
    await engineer.getByTestId('commands').locator('tbody tr', { hasText: 'acked' }).waitFor({ timeout: 20_000 });
  });

  it('the engineer opens the fleet overview and the firmware comparison', async () => {
    await engineer.getByRole('link', { name: 'Fleet', exact: true }).click();
    await engineer.getByTestId('activity').waitFor();
    await engineer.getByTestId('fleet-metric').locator('tbody th', { hasText: '1.4.2' }).waitFor();
    // The error trend: both 1.5.0 devices reported one compressor fault today (a group of 2 = k).
    const trend = engineer.getByTestId('error-trend');
    await trend.waitFor();
    expect(await trend.locator('tbody tr').allTextContents()).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}2$/)]);
    await shot(engineer, 'console-fleet');

    await engineer.getByRole('link', { name: 'Firmware' }).click();
    const table = engineer.getByTestId('firmware-comparison');
    await table.locator('tbody th', { hasText: '1.5.0' }).waitFor();
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows.find((r) => r.startsWith('1.4.2'))).toMatch(/^1\.4\.2\s*3/);
    expect(rows.find((r) => r.startsWith('1.5.0'))).toMatch(/^1\.5\.0\s*2/);
    await engineer.locator('.chart canvas').waitFor();
    await shot(engineer, 'console-firmware');
  });
});

describe('owner voice', () => {
  const device = () => `${p.httpUrl}/my/devices/${encodeURIComponent(fridge.id)}`;

  it('the owner pins a note to a moment of the conversation, edits it and sees its history', async () => {
    await owner.goto(device());
    // Pinned to an entry's moment: the dialog starts from that entry's time.
    await owner.locator('[data-kind="uplink"]').nth(2).getByRole('button', { name: /^Add a note at / }).click();
    const dialog = owner.getByRole('dialog', { name: 'Add a note' });
    await dialog.getByLabel('Category').selectOption('noise');
    await dialog.getByLabel('What happened').fill('Rattles when the compressor starts');
    await dialog.getByRole('button', { name: 'Add note' }).click();
    const added = owner.locator('[data-note]', { hasText: 'Rattles when the compressor starts' });
    await added.waitFor();
    const note = owner.locator(`[data-note="${await added.getAttribute('data-note')}"]`);

    await note.getByRole('button', { name: 'Edit', exact: true }).click();
    await note.getByLabel('What happened').fill('Rattles loudly when the compressor starts');
    await note.getByRole('button', { name: 'Save new version' }).click();
    await note.getByText('(edited)').waitFor();
    await note.getByRole('button', { name: 'History' }).click();
    expect(await note.getByRole('list', { name: 'Versions, oldest first' }).locator('li').allTextContents()).toEqual([
      expect.stringMatching(/^Version 1.*: Rattles when the compressor starts$/),
      expect.stringMatching(/^Version 2.*: Rattles loudly when the compressor starts$/),
    ]);
  });

  it('the engineer replies to the note on the device page and the owner sees the reply', async () => {
    await engineer.goto(`${p.httpUrl}/console/devices/${fridge.id}`);
    await engineer.getByLabel('Reference (required)').fill('4711');
    await engineer.getByRole('button', { name: 'Open device' }).click();
    const note = engineer.locator('[data-note]', { hasText: 'Rattles loudly when the compressor starts' });
    await note.getByRole('button', { name: 'Reply', exact: true }).click();
    await note.getByLabel('Reply').fill('Thanks. Is the fridge standing level?');
    await note.getByRole('button', { name: 'Send reply' }).click();
    await note.locator('.reply-manufacturer', { hasText: 'Is the fridge standing level?' }).waitFor();
    await note.getByRole('button', { name: 'Telemetry around it' }).click();
    await note.getByLabel('Metric (±10 minutes)').selectOption('power_w');
    await note.locator('.chart canvas').waitFor();
    await shot(engineer, 'console-note', note);

    // A reply changes an existing entry, which the live tail does not carry: the owner reloads.
    await owner.reload();
    const reply = owner.locator('[data-note] .reply-manufacturer', { hasText: 'Is the fridge standing level?' });
    await reply.waitFor();
    await shot(owner, 'owner-note', reply);
  });

  it('the engineer publishes an idea for the model, the owner votes for it, the counts stay k-anonymous', async () => {
    await engineer.getByRole('link', { name: 'Ideas', exact: true }).click();
    await engineer.getByLabel('For model').selectOption('fridge-x1');
    await engineer.getByLabel('Title').fill('Eco mode by default');
    await engineer.getByLabel('What it is').fill('New fridges start in eco mode from firmware 1.6');
    await engineer.getByRole('button', { name: 'Publish', exact: true }).click();
    const published = engineer.getByTestId('ideas').locator('li.card', { hasText: 'Eco mode by default' });
    await published.waitFor();

    await owner.getByRole('link', { name: 'Ideas', exact: true }).click();
    const idea = owner.getByTestId('ideas').locator('li.card', { hasText: 'Eco mode by default' });
    await idea.getByRole('button', { name: 'Vote for' }).click();
    await expect.poll(() => idea.getByTestId('my-vote').textContent()).toBe('Your vote for this device: for.');
    expect(await idea.getByRole('button', { name: 'Vote for' }).getAttribute('aria-pressed')).toBe('true');
    await shot(owner, 'owner-ideas');

    // One household voted and k = 2: the engineer sees that there are votes, not how many.
    await published.getByText('Votes by cohort').click();
    await published.getByText('All votes: Too few households voted to show counts').waitFor();
    await shot(engineer, 'console-ideas');
    await engineer.getByRole('link', { name: 'Feedback', exact: true }).click();
    await engineer.getByText('1 group(s) with fewer than 2 devices are not shown (k-anonymity).').waitFor();
  });
});

describe('small screens and the keyboard', () => {
  it('fits a phone-sized viewport and starts with a skip link', async () => {
    const token = await owner.evaluate(() => sessionStorage.getItem('parley.token'));
    const phone = await newPage({ width: 390, height: 844 });
    await signInWithToken(phone, token!);
    await phone.waitForURL('**/my');
    await phone.getByRole('link', { name: fridge.id }).click();
    await phone.locator('[data-kind="uplink"]').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.reload();
    await phone.locator('[data-kind="uplink"]').first().waitFor();
    await phone.keyboard.press('Tab');
    expect(await phone.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await phone.screenshot({ path: join(shots, 'owner-phone.png') });
    if (UPDATE_DOCS) await copyFile(join(shots, 'owner-phone.png'), join(repo, 'docs/screenshots/owner-phone.png'));
  });
});

describe('disputes and export', () => {
  it('the owner disputes a manufacturer inference and both sides see it disputed', async () => {
    const made = await p.request('POST', `/v1/devices/${fridge.id}/inferences`, {
      body: { code: 'misuse_suspected', title: 'Door left open too often', detail: 'Door-open events doubled', evidence: [{ kind: 'event', ref: 'door_open' }] },
    });
    expect(made.status).toBe(201);
    await owner.goto(`${p.httpUrl}/my/devices/${encodeURIComponent(fridge.id)}/insights`);
    const card = owner.getByTestId('inferences').locator('li.card', { hasText: 'Door left open too often' });
    await card.getByText('Dispute or annotate').click();
    await card.getByLabel('Why is it wrong?').fill('We were defrosting it on purpose.');
    await card.getByRole('button', { name: 'Send dispute' }).click();
    await card.getByText('We were defrosting it on purpose.').waitFor();
    expect((await p.request('GET', `/v1/devices/${fridge.id}/inferences`)).body.inferences.find((i: { id: string }) => i.id === made.body.id).status).toBe('disputed');
  });

  it('the owner downloads the period as CSV', async () => {
    await owner.goto(`${p.httpUrl}/my/devices/${encodeURIComponent(fridge.id)}/data`);
    const [file] = await Promise.all([owner.waitForEvent('download'), owner.getByRole('button', { name: 'Download CSV' }).click()]);
    const text = await readFile((await file.path())!, 'utf8');
    expect(text.split('\r\n')[0]).toBe('record,time,received_at,metric,value,code,severity,message,command_id,status,detail,json');
    expect(text).toContain('\r\nsample,');
  });
});

describe('account', () => {
  it('the owner creates a token and invites a household viewer who can sign in with theirs', async () => {
    await owner.goto(`${p.httpUrl}/my/account`);
    await owner.getByLabel('Label').fill('kitchen tablet');
    await owner.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => owner.getByTestId('new-account-token').textContent()).toMatch(/^prl_tok_/);
    await expect.poll(() => owner.getByTestId('tokens').textContent()).toContain('kitchen tablet');
    await owner.getByLabel('Name (optional)').fill('Kid');
    await owner.getByRole('button', { name: 'Invite' }).click();
    await expect.poll(() => owner.getByTestId('household').textContent()).toContain('Kid — viewer');
    const kidToken = (await owner.getByTestId('new-account-token').textContent())!;
    await shot(owner, 'owner-account');
    const me = await p.request('GET', '/v1/me', { token: kidToken });
    expect(me.body).toMatchObject({ kind: 'owner', role: 'viewer', displayName: 'Kid' });
  });
});

describe('passing the device on', () => {
  it('the owner creates a transfer code that the next owner can claim with', async () => {
    await owner.goto(`${p.httpUrl}/my/devices/${encodeURIComponent(fridge.id)}/data`);
    await owner.getByRole('button', { name: 'Create a transfer code' }).click();
    const code = (await owner.getByTestId('transfer-code').textContent())!;
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await shot(owner, 'owner-pass-it-on');
    const next = await p.request('POST', '/v1/accounts', { token: null, body: { kind: 'owner' } });
    const claimed = await p.request('POST', '/v1/claims', { token: next.body.token.token, body: { deviceId: fridge.id, transferCode: code } });
    expect(claimed.status).toBe(201);
  });
});

describe('erasure', () => {
  it('the previous owner erases their period after typing the device id and gets a deletion receipt', async () => {
    await owner.goto(`${p.httpUrl}/my/devices/${encodeURIComponent(fridge.id)}/data`);
    await owner.getByRole('button', { name: 'Erase this period…' }).click();
    const erase = owner.getByRole('button', { name: 'Erase permanently' });
    expect(await erase.isDisabled()).toBe(true);
    await owner.getByLabel('Device id').fill(fridge.id);
    await erase.click();
    await owner.getByText('deletion', { exact: false }).first().waitFor();
    await shot(owner, 'owner-erased');
    const mine = await owner.evaluate(() => sessionStorage.getItem('parley.token'));
    const left = await p.request('GET', `/v1/devices/${fridge.id}/conversation?limit=1000`, { token: mine });
    expect(left.body.items.filter((i: { kind: string }) => i.kind === 'uplink')).toEqual([]);
  });
});
