import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi, createLiveFeed } from './index';

/*
 * The authorization matrix: every route × every kind of caller, on a real registry (PGlite) and
 * store (chDB). Each cell is either 'allow' (the request got past every access check: its status
 * and error code are none of the denials) or the exact denial (status and error code).
 * A route added without a row here fails the completeness check at the bottom.
 */

const ADMIN = 'matrix-bootstrap-admin-token';
type Role = 'none' | 'bad' | 'expired' | 'admin' | 'engViewer' | 'engOperator' | 'owner' | 'coOwner' | 'ownerViewer' | 'otherOwner' | 'previousOwner' | 'grantee' | 'revokedGrantee';
const ROLES: Role[] = ['none', 'bad', 'expired', 'admin', 'engViewer', 'engOperator', 'owner', 'coOwner', 'ownerViewer', 'otherOwner', 'previousOwner', 'grantee', 'revokedGrantee'];
type Outcome = 'allow' | 401 | 403 | 404;
const DENIAL_CODES = new Set(['unauthenticated', 'invalid_token', 'forbidden', 'device_not_found', 'grant_not_found', 'receipt_not_found', 'command_not_found', 'inference_not_found', 'period_not_found', 'token_not_found', 'note_not_found', 'idea_not_found', 'destination_not_found']);

let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
const tokens = {} as Record<Role, string>;
let deviceId: string;
let otherDeviceId: string;
let ids: { grantRevoked: string; receipt: string; command: string; inference: string; note: string; idea: string; destination: string };

beforeAll(async () => {
  dir = await tempDir('parley-authz-');
  const log = silentLogger();
  store = await openStore({ location: { dataDir: dir }, log });
  registry = await openEmbeddedRegistry({ log });
  app = await buildApi({ logger: log, manufacturerToken: ADMIN, store, registry, health: async () => ({ ok: true, components: {} }), policy: { kAnonymity: 5, emergencyCommandClasses: [] }, live: createLiveFeed(), authFailuresPerMinute: 100_000 });

  const acct = async (kind: 'owner' | 'grantee' | 'manufacturer', role: string, ownerId?: string) =>
    registry.accounts.create({ kind, role, createdBy: 'test', ...(ownerId ? { ownerId } : {}) });
  const [d1, d2] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 });
  deviceId = d1!.id;
  otherDeviceId = d2!.id;

  const previous = await acct('owner', 'owner');
  const owner = await acct('owner', 'owner');
  const co = await acct('owner', 'co-owner', owner.account.ownerId!);
  const viewer = await acct('owner', 'viewer', owner.account.ownerId!);
  const other = await acct('owner', 'owner');
  const grantee = await acct('grantee', 'grantee');
  const revoked = await acct('grantee', 'grantee');
  const engViewer = await acct('manufacturer', 'viewer');
  const engOperator = await acct('manufacturer', 'operator');

  // The device was owned by `previous`, then transferred to `owner`'s household.
  const first = await registry.ownership.claim({ deviceId, ownerId: previous.account.ownerId!, actorId: previous.account.id, claimCode: d1!.claimCode });
  const { code } = await registry.ownership.startTransfer(first.id, previous.account.id);
  const period = await registry.ownership.claim({ deviceId, ownerId: owner.account.ownerId!, actorId: owner.account.id, transferCode: code });
  await registry.ownership.claim({ deviceId: otherDeviceId, ownerId: other.account.ownerId!, actorId: other.account.id, claimCode: d2!.claimCode });

  const grant = (granteeId: string) =>
    registry.grants.create({ periodId: period.id, granteeId, metrics: ['power_w'], events: [], expiresAt: new Date(Date.now() + 86_400_000), purpose: 'energy tips', createdBy: owner.account.id });
  const g = await grant(grantee.account.id);
  const gr = await grant(revoked.account.id);
  await registry.grants.revoke(gr.grant.id, owner.account.id);
  const command = await registry.commands.propose({ deviceId, class: 'defrost', kind: 'command', body: { kind: 'command', name: 'defrost', params: {} }, reason: 'ice', emergency: false, proposedBy: 'manufacturer', expiresAt: new Date(Date.now() + 3_600_000) });
  const inference = await registry.inferences.create({ deviceId, code: 'seal_worn', title: 'Door seal worn', detail: 'x', evidence: [{ kind: 'metric', ref: 'temp_c' }], authorId: 'manufacturer' });
  const expired = await registry.accounts.createToken(owner.account.id, { ttlSeconds: 60 });
  const note = await registry.notes.create({ periodId: period.id, authorId: owner.account.id, at: new Date(), category: 'noise', text: 'rattle' });
  const idea = await registry.ideas.create({ model: 'fridge-x1', title: 'Eco mode', body: 'Default to eco', authorId: 'manufacturer', authorKind: 'manufacturer' }, 5);
  const destination = await registry.destinations.create({ periodId: period.id, kind: 'webhook', name: 'Matrix hook', url: 'https://hooks.example.com/in', metrics: ['power_w'], events: [], createdBy: owner.account.id });
  ids = { grantRevoked: gr.grant.id, receipt: g.grant.receiptId, command: command.id, inference: inference.id, note: note.id, idea: idea.id, destination: destination.destination.id };

  Object.assign(tokens, {
    none: '',
    bad: 'prl_tok_0000000000000000_' + 'A'.repeat(43),
    expired: expired.token,
    admin: ADMIN,
    engViewer: engViewer.token.token,
    engOperator: engOperator.token.token,
    owner: owner.token.token,
    coOwner: co.token.token,
    ownerViewer: viewer.token.token,
    otherOwner: other.token.token,
    previousOwner: previous.token.token,
    grantee: grantee.token.token,
    revokedGrantee: revoked.token.token,
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: () => string;
  body?: () => unknown;
  /** Outcome per role; roles not listed are denied by the route's declared access (see `deny`). */
  allow: Role[];
  /** Roles that pass the route's role check but have no access to this device/resource: 404. */
  notFound?: Role[];
}

const ANY_OWNER: Role[] = ['owner', 'coOwner', 'ownerViewer'];
const MANUFACTURER: Role[] = ['admin', 'engViewer', 'engOperator'];
const dev = (path = '') => () => `/v1/devices/${deviceId}${path}`;

const MATRIX: Record<string, Row> = {
  'GET /v1/devices': { method: 'GET', url: () => '/v1/devices', allow: MANUFACTURER },
  'POST /v1/devices': { method: 'POST', url: () => '/v1/devices', body: () => ({ model: 'fridge-x1', firmware: '1.0.0', count: 1 }), allow: ['admin'] },
  'GET /v1/devices/:id': { method: 'GET', url: dev(), allow: MANUFACTURER },
  'PUT /v1/devices/:id/tags': { method: 'PUT', url: dev('/tags'), body: () => ({ tags: ['region:eu'] }), allow: ['admin', 'engOperator'] },
  'GET /v1/devices/:id/conversation': { method: 'GET', url: dev('/conversation'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner', 'grantee'], notFound: ['otherOwner', 'revokedGrantee'] },
  'GET /v1/devices/:id/metrics': { method: 'GET', url: dev('/metrics'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner', 'grantee'], notFound: ['otherOwner', 'revokedGrantee'] },
  'GET /v1/devices/:id/metrics/:metric': { method: 'GET', url: dev('/metrics/power_w'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner', 'grantee'], notFound: ['otherOwner', 'revokedGrantee'] },
  'GET /v1/devices/:id/live': { method: 'GET', url: dev('/live'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner', 'grantee'], notFound: ['otherOwner', 'revokedGrantee'] },
  'GET /v1/devices/:id/ownership': { method: 'GET', url: dev('/ownership'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'GET /v1/devices/:id/access-log': { method: 'GET', url: dev('/access-log'), allow: [...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'GET /v1/devices/:id/grants': { method: 'GET', url: dev('/grants'), allow: [...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'POST /v1/devices/:id/grants': {
    method: 'POST',
    url: dev('/grants'),
    body: () => ({ grantee: { name: 'Matrix app' }, metrics: ['temp_c'], durationDays: 1, purpose: 'matrix test' }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'GET /v1/devices/:id/inferences': { method: 'GET', url: dev('/inferences'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'POST /v1/devices/:id/inferences': {
    method: 'POST',
    url: dev('/inferences'),
    body: () => ({ code: 'matrix_check', title: 't', detail: 'd', evidence: [{ kind: 'url', ref: 'https://example.test' }] }),
    allow: ['admin', 'engOperator'],
  },
  'POST /v1/inferences/:inferenceId/notes': {
    method: 'POST',
    url: () => `/v1/inferences/${ids.inference}/notes`,
    body: () => ({ kind: 'annotation', body: 'seen' }),
    allow: ['owner', 'coOwner', 'admin', 'engOperator'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'POST /v1/devices/:id/notes': {
    method: 'POST',
    url: dev('/notes'),
    body: () => ({ at: new Date().toISOString(), category: 'noise', text: 'matrix' }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'GET /v1/devices/:id/notes': { method: 'GET', url: dev('/notes'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  // The co-owner passes every access check and is then refused as not the author (403 note_not_yours).
  'PUT /v1/notes/:noteId': {
    method: 'PUT',
    url: () => `/v1/notes/${ids.note}`,
    body: () => ({ at: new Date().toISOString(), category: 'noise', text: 'matrix edit' }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'POST /v1/notes/:noteId/replies': {
    method: 'POST',
    url: () => `/v1/notes/${ids.note}/replies`,
    body: () => ({ text: 'matrix reply' }),
    allow: ['owner', 'coOwner', 'admin', 'engOperator'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'GET /v1/notes/:noteId/history': { method: 'GET', url: () => `/v1/notes/${ids.note}/history`, allow: [...MANUFACTURER, ...ANY_OWNER], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/notes/:noteId/context': { method: 'GET', url: () => `/v1/notes/${ids.note}/context?metric=power_w`, allow: [...MANUFACTURER, ...ANY_OWNER], notFound: ['otherOwner', 'previousOwner'] },
  'DELETE /v1/notes/:noteId': { method: 'DELETE', url: () => `/v1/notes/${ids.note}`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/fleet/feedback': { method: 'GET', url: () => '/v1/fleet/feedback?justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/ideas': { method: 'GET', url: () => '/v1/ideas', allow: [...MANUFACTURER, ...ANY_OWNER, 'otherOwner', 'previousOwner'] },
  'POST /v1/ideas': {
    method: 'POST',
    url: () => '/v1/ideas',
    body: () => ({ model: 'fridge-x1', deviceId, title: 'Matrix idea', body: 'matrix' }),
    allow: ['owner', 'coOwner', 'admin', 'engOperator'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  // `otherOwner` owns a fridge too, so fridge ideas are theirs to see; the previous owner owns none now.
  'GET /v1/ideas/:ideaId': { method: 'GET', url: () => `/v1/ideas/${ids.idea}`, allow: [...MANUFACTURER, ...ANY_OWNER, 'otherOwner'], notFound: ['previousOwner'] },
  'PUT /v1/ideas/:ideaId/votes/:deviceId': {
    method: 'PUT',
    url: () => `/v1/ideas/${ids.idea}/votes/${deviceId}`,
    body: () => ({ value: 'up' }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'DELETE /v1/ideas/:ideaId/votes/:deviceId': { method: 'DELETE', url: () => `/v1/ideas/${ids.idea}/votes/${deviceId}`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'POST /v1/ideas/:ideaId/comments': {
    method: 'POST',
    url: () => `/v1/ideas/${ids.idea}/comments`,
    body: () => ({ text: 'matrix comment', deviceId }),
    allow: ['owner', 'coOwner', 'admin', 'engOperator'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'POST /v1/ideas/:ideaId/updates': { method: 'POST', url: () => `/v1/ideas/${ids.idea}/updates`, body: () => ({ status: 'under-review', message: 'matrix' }), allow: ['admin', 'engOperator'] },
  'GET /v1/ideas/:ideaId/cohorts': { method: 'GET', url: () => `/v1/ideas/${ids.idea}/cohorts?justification=fleet-analytics`, allow: MANUFACTURER },
  'GET /v1/devices/:id/commands': { method: 'GET', url: dev('/commands'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'POST /v1/devices/:id/commands': {
    method: 'POST',
    url: dev('/commands'),
    body: () => ({ class: 'defrost', kind: 'command', name: 'defrost', reason: 'matrix check' }),
    allow: ['admin', 'engOperator'],
  },
  'POST /v1/commands/:commandId/approve': { method: 'POST', url: () => `/v1/commands/${ids.command}/approve`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'POST /v1/commands/:commandId/decline': { method: 'POST', url: () => `/v1/commands/${ids.command}/decline`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/devices/:id/command-policies': { method: 'GET', url: dev('/command-policies'), allow: ANY_OWNER, notFound: ['otherOwner', 'previousOwner'] },
  'PUT /v1/devices/:id/command-policies/:class': {
    method: 'PUT',
    url: dev('/command-policies/eco-mode'),
    body: () => ({ autoApprove: false }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'POST /v1/devices/:id/transfer': { method: 'POST', url: dev('/transfer'), body: () => ({}), allow: ['owner'], notFound: ['otherOwner', 'previousOwner'] },
  'POST /v1/devices/:id/claim-code': { method: 'POST', url: dev('/claim-code'), allow: ['admin'] },
  'PUT /v1/devices/:id/consent': { method: 'PUT', url: dev('/consent'), body: () => ({ fleetAnalytics: true }), allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/devices/:id/export': { method: 'GET', url: dev('/export'), allow: ['owner', 'coOwner', 'previousOwner'], notFound: ['otherOwner'] },
  // A wrong confirmation gets past every access check and stops before anything is erased.
  'POST /v1/devices/:id/erase': { method: 'POST', url: dev('/erase'), body: () => ({ confirm: 'no' }), allow: ['owner', 'previousOwner'], notFound: ['otherOwner'] },
  'POST /v1/claims': { method: 'POST', url: () => '/v1/claims', body: () => ({ deviceId, claimCode: 'AAAA-AAAA-AAAA' }), allow: ['owner', 'coOwner', 'otherOwner', 'previousOwner'] },
  'GET /v1/my/devices': { method: 'GET', url: () => '/v1/my/devices', allow: [...ANY_OWNER, 'otherOwner', 'previousOwner'] },
  'DELETE /v1/grants/:grantId': { method: 'DELETE', url: () => `/v1/grants/${ids.grantRevoked}`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'POST /v1/devices/:id/destinations': {
    method: 'POST',
    url: dev('/destinations'),
    body: () => ({ kind: 'webhook', name: 'Matrix hook', url: 'https://hooks.example.com/matrix', metrics: ['power_w'] }),
    allow: ['owner', 'coOwner'],
    notFound: ['otherOwner', 'previousOwner'],
  },
  'GET /v1/devices/:id/destinations': { method: 'GET', url: dev('/destinations'), allow: [...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'GET /v1/destinations/:destinationId': { method: 'GET', url: () => `/v1/destinations/${ids.destination}`, allow: ANY_OWNER, notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/destinations/:destinationId/dead-letters': { method: 'GET', url: () => `/v1/destinations/${ids.destination}/dead-letters`, allow: ANY_OWNER, notFound: ['otherOwner', 'previousOwner'] },
  'POST /v1/destinations/:destinationId/replay': { method: 'POST', url: () => `/v1/destinations/${ids.destination}/replay`, body: () => ({}), allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  // Deleting is idempotent, so the second allowed caller gets past the checks too.
  'DELETE /v1/destinations/:destinationId': { method: 'DELETE', url: () => `/v1/destinations/${ids.destination}`, allow: ['owner', 'coOwner'], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/grants': { method: 'GET', url: () => '/v1/grants', allow: ['grantee', 'revokedGrantee'] },
  'GET /v1/receipts/:receiptId': { method: 'GET', url: () => `/v1/receipts/${ids.receipt}`, allow: [...ANY_OWNER, 'grantee'], notFound: ['otherOwner', 'previousOwner', 'revokedGrantee'] },
  'GET /v1/fleet/metrics/:metric': { method: 'GET', url: () => '/v1/fleet/metrics/power_w?justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/fleet/firmware-comparison': { method: 'GET', url: () => '/v1/fleet/firmware-comparison?versions=1.0.0,1.1.0&justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/fleet/activity': { method: 'GET', url: () => '/v1/fleet/activity?justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/devices/:id/insights': { method: 'GET', url: dev('/insights'), allow: [...MANUFACTURER, ...ANY_OWNER, 'previousOwner'], notFound: ['otherOwner'] },
  'POST /v1/devices/:id/suggestions': { method: 'POST', url: dev('/suggestions'), allow: ['owner', 'coOwner', 'admin', 'engOperator'], notFound: ['otherOwner', 'previousOwner'] },
  'GET /v1/fleet/events': { method: 'GET', url: () => '/v1/fleet/events?justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/fleet/outliers': { method: 'GET', url: () => '/v1/fleet/outliers?by=error-rate&justification=fleet-analytics', allow: MANUFACTURER },
  'GET /v1/fleet/silent': { method: 'GET', url: () => '/v1/fleet/silent?justification=fleet-analytics', allow: MANUFACTURER },
  'GET /metrics': { method: 'GET', url: () => '/metrics', allow: MANUFACTURER },
  'GET /v1/dead-letters': { method: 'GET', url: () => '/v1/dead-letters', allow: MANUFACTURER },
  'POST /v1/engineers': { method: 'POST', url: () => '/v1/engineers', body: () => ({ role: 'viewer', displayName: 'New engineer' }), allow: ['admin'] },
  'POST /v1/household/members': { method: 'POST', url: () => '/v1/household/members', body: () => ({ role: 'viewer' }), allow: ['owner', 'otherOwner', 'previousOwner'] },
  'GET /v1/household': { method: 'GET', url: () => '/v1/household', allow: [...ANY_OWNER, 'otherOwner', 'previousOwner'] },
  'GET /v1/me': { method: 'GET', url: () => '/v1/me', allow: ROLES.filter((r) => !['none', 'bad', 'expired'].includes(r)) },
  'GET /v1/tokens': { method: 'GET', url: () => '/v1/tokens', allow: ROLES.filter((r) => !['none', 'bad', 'expired'].includes(r)) },
  'POST /v1/tokens': { method: 'POST', url: () => '/v1/tokens', body: () => ({ label: 'matrix' }), allow: ROLES.filter((r) => !['none', 'bad', 'expired'].includes(r)) },
  'DELETE /v1/tokens/:tokenId': { method: 'DELETE', url: () => '/v1/tokens/tok_0000000000000000', allow: [], notFound: ROLES.filter((r) => !['none', 'bad', 'expired'].includes(r)) },
  // Last: the owner's call really releases the device.
  'POST /v1/devices/:id/release': { method: 'POST', url: dev('/release'), allow: ['owner'], notFound: ['otherOwner', 'previousOwner'] },
};

/** Public routes: no token needed (checked separately). */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'POST /v1/accounts']);

function expected(row: Row, role: Role): Outcome {
  if (role === 'none' || role === 'bad' || role === 'expired') return 401;
  if (row.allow.includes(role)) return 'allow';
  if (row.notFound?.includes(role)) return 404;
  return 403;
}

async function call(row: Row, role: Role) {
  const headers: Record<string, string> = { 'x-parley-justification': 'support-case:matrix' };
  if (tokens[role]) headers['authorization'] = `Bearer ${tokens[role]}`;
  const body = row.body?.();
  const send = () => app.inject({ method: row.method, url: row.url(), headers, ...(body === undefined ? {} : { payload: body as object }) });
  if (role !== 'expired') return send();
  const spy = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 120_000);
  try {
    return await send();
  } finally {
    spy.mockRestore();
  }
}

describe('authorization matrix', () => {
  for (const [name, row] of Object.entries(MATRIX)) {
    it(name, async () => {
      const problems: string[] = [];
      for (const role of ROLES) {
        const want = expected(row, role);
        // Opening a live stream for an allowed caller would hold the request open; its denials are what matters here.
        if (want === 'allow' && name.endsWith('/live')) continue;
        const res = await call(row, role);
        const code: string | undefined = res.headers['content-type']?.toString().startsWith('application/json') ? res.json()?.error?.code : undefined;
        // Allowed: past every access check (a later business error such as a wrong claim code is fine).
        const ok = want === 'allow' ? res.statusCode !== 401 && !(code && DENIAL_CODES.has(code)) : res.statusCode === want && code !== undefined && DENIAL_CODES.has(code);
        if (!ok) problems.push(`${role}: expected ${want}, got ${res.statusCode} ${code ?? ''}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('covers every route the API serves', () => {
    const served = new Set<string>();
    // The OpenAPI document lists every route (none is hidden but the document itself).
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) served.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const missing = [...served].filter((r) => !MATRIX[r] && !PUBLIC.has(r));
    expect(missing).toEqual([]);
  });

  it('a token of another kind cannot pass for an account with the same id prefix (bad secret)', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${tokens.owner.slice(0, -2)}xx` } });
    expect(res.statusCode).toBe(401);
  });
});
