import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { AppError, NotFoundError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { decodeCursor, encodeCursor } from './cursor';
import type { Sql } from './db';
import { DEVICE_ID_RANDOM_CHARS, isDeviceId, newDeviceId } from './device-id';
import { migrate } from './migrate';
import { sqlAccessLog } from './relationships/access-log';
import { sqlAccounts } from './relationships/accounts';
import { sqlCommands } from './relationships/commands';
import { sqlGrants } from './relationships/grants';
import { guard } from './relationships/guard';
import { newCode, normalizeCode } from './relationships/ids';
import { sqlInferences } from './relationships/inferences';
import { sqlOwnership } from './relationships/ownership';
import { sqlTimeline } from './relationships/timeline';
import type { AccessLog, Accounts, Commands, Erasure, Grants, Inferences, Ownership, Timeline } from './relationships/types';
import { sqlErasure } from './relationships/erasure';
import type { Destinations, Outbox } from './relationships/destination-types';
import { sqlDestinations } from './relationships/destinations';
import { sqlOutbox } from './relationships/outbox';
import { sqlIdeas } from './relationships/ideas';
import { sqlNotes } from './relationships/notes';
import type { Ideas, Notes } from './relationships/voice-types';
import type { DevicePage, DeviceRecord, DeviceStatus, ListDevicesQuery, ProvisionedDevice, ProvisionRequest, Registry } from './registry';
import { DUMMY_SECRET, SALT_BYTES, SECRET_BYTES, SECRET_SCHEME, generateSecret, hashSecret, verifySecret } from './secrets';
import { validateCount, validateFirmware, validateIdPrefix, validateLimit, validateModel, validateTags } from './validate';

/**
 * Rows per INSERT while provisioning. Measured on PGlite (2 cores): 1000 keeps each event-loop stall
 * near 50–100 ms at the same total time as 5000 (which stalled ~300–500 ms).
 */
const INSERT_BATCH = 1000;
/** Rounds of re-drawing ids that collided with existing ones before giving up (a round is ~never needed). */
const MAX_ID_ROUNDS = 5;

const COLUMNS = 'id, model, firmware, status, tags, created_at';

interface DeviceRow {
  id: string;
  model: string;
  firmware: string;
  status: DeviceStatus;
  tags: string[];
  created_at: Date;
}

interface CredentialRow extends DeviceRow {
  secret_scheme: number;
  secret_salt: Uint8Array;
  secret_hash: Uint8Array;
}

function toRecord(row: DeviceRow): DeviceRecord {
  return { id: row.id, model: row.model, firmware: row.firmware, status: row.status, tags: row.tags, createdAt: new Date(row.created_at) };
}

function idsExhausted(prefix: string): AppError {
  return new AppError('registry_id_exhausted', `Could not draw free device ids with prefix ${JSON.stringify(prefix)}; nothing was provisioned. Try again or use another id prefix.`, {
    context: { prefix },
  });
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('device_not_found', `No device with id ${JSON.stringify(id)} is registered.`, { context: { deviceId: id } });
}

interface PendingDevice {
  id: string;
  secret: string;
  salt: string;
  hash: string;
  claimCode: string;
  claimSalt: string;
  claimHash: string;
}

/** `n` new devices: ids, secrets and their salted hashes, from one draw of the CSPRNG. */
function generateBatch(n: number, drawId: (random: Uint8Array) => string): PendingDevice[] {
  const per = SECRET_BYTES + SALT_BYTES + DEVICE_ID_RANDOM_CHARS;
  const random = randomBytes(n * per);
  const batch: PendingDevice[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * per;
    const secret = random.subarray(at, at + SECRET_BYTES).toString('base64url');
    const { salt, hash } = hashSecret(secret, random.subarray(at + SECRET_BYTES, at + SECRET_BYTES + SALT_BYTES));
    const claimCode = newCode();
    const claim = hashSecret(normalizeCode(claimCode));
    batch.push({
      id: drawId(random.subarray(at + SECRET_BYTES + SALT_BYTES, at + per)),
      secret,
      salt: salt.toString('hex'),
      hash: hash.toString('hex'),
      claimCode,
      claimSalt: claim.salt.toString('hex'),
      claimHash: claim.hash.toString('hex'),
    });
  }
  return batch;
}

/**
 * Inserts `batch`; an id that already exists in the table is re-drawn (in `batch`, in place) and
 * inserted again. Returns each id's `created_at`.
 */
async function insertBatch(tx: Sql, batch: PendingDevice[], model: string, firmware: string, tags: string[], drawId: () => string, prefix: string): Promise<Map<string, Date>> {
  const createdAt = new Map<string, Date>();
  let todo = batch;
  for (let round = 0; todo.length > 0; round++) {
    if (round === MAX_ID_ROUNDS) throw idsExhausted(prefix);
    const rows = await tx.query<{ id: string; created_at: Date }>(
      `INSERT INTO devices (id, model, firmware, secret_scheme, secret_salt, secret_hash, claim_salt, claim_hash, tags)
       SELECT d.id, $2, $3, $4::smallint, decode(d.salt, 'hex'), decode(d.hash, 'hex'), decode(d.csalt, 'hex'), decode(d.chash, 'hex'), $9::text[]
       FROM unnest($1::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS d(id, salt, hash, csalt, chash)
       ON CONFLICT (id) DO NOTHING
       RETURNING id, created_at`,
      [
        todo.map((d) => d.id),
        model,
        firmware,
        SECRET_SCHEME,
        todo.map((d) => d.salt),
        todo.map((d) => d.hash),
        todo.map((d) => d.claimSalt),
        todo.map((d) => d.claimHash),
        tags,
      ],
    );
    for (const r of rows) createdAt.set(r.id, new Date(r.created_at));
    todo = rows.length < todo.length ? todo.filter((d) => !createdAt.has(d.id)) : [];
    for (const d of todo) d.id = drawId();
  }
  return createdAt;
}

/**
 * Creates the SQL-backed {@link Registry} on `sql`, first bringing its schema up to date.
 * The registry owns `sql` from here on: `registry.close()` closes it.
 */
export async function createRegistry(sql: Sql, log: Logger): Promise<Registry> {
  const child = log.child({ component: 'registry' });
  await migrate(sql, child);
  return new SqlRegistry(sql, child);
}

class SqlRegistry implements Registry {
  readonly accounts: Accounts;
  readonly ownership: Ownership;
  readonly grants: Grants;
  readonly accessLog: AccessLog;
  readonly timeline: Timeline;
  readonly inferences: Inferences;
  readonly commands: Commands;
  readonly erasure: Erasure;
  readonly destinations: Destinations;
  readonly outbox: Outbox;
  readonly notes: Notes;
  readonly ideas: Ideas;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {
    this.accounts = sqlAccounts(sql);
    this.ownership = sqlOwnership(sql);
    this.grants = sqlGrants(sql);
    this.accessLog = sqlAccessLog(sql);
    this.timeline = sqlTimeline(sql);
    this.inferences = sqlInferences(sql);
    this.commands = sqlCommands(sql);
    this.erasure = sqlErasure(sql);
    this.destinations = sqlDestinations(sql);
    this.outbox = sqlOutbox(sql);
    this.notes = sqlNotes(sql);
    this.ideas = sqlIdeas(sql);
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return guard(op, fn);
  }

  async provisionDevices(request: ProvisionRequest): Promise<ProvisionedDevice[]> {
    const model = validateModel(request.model);
    const firmware = validateFirmware(request.firmware);
    const count = validateCount(request.count);
    const prefix = request.idPrefix === undefined ? model : validateIdPrefix(request.idPrefix);
    const tags = request.tags === undefined ? [] : validateTags(request.tags);
    const started = performance.now();

    const taken = new Set<string>();
    const drawId = (random?: Uint8Array): string => {
      let id = newDeviceId(prefix, random);
      for (let tries = 1; taken.has(id); tries++) {
        if (tries === 100) throw idsExhausted(prefix);
        id = newDeviceId(prefix);
      }
      taken.add(id);
      return id;
    };
    const provisioned: ProvisionedDevice[] = [];
    await this.run('provision devices', () =>
      this.sql.transaction(async (tx) => {
        // Generate and insert batch by batch, giving the event loop (which in the embedded mode also
        // runs the broker) a turn between batches: PGlite runs on this thread, and its promises
        // settle as microtasks, so without `setImmediate` I/O would wait for the whole request.
        for (let done = 0; done < count; done += INSERT_BATCH) {
          if (done > 0) await setImmediate();
          const batch = generateBatch(Math.min(INSERT_BATCH, count - done), drawId);
          const createdAt = await insertBatch(tx, batch, model, firmware, tags, drawId, prefix);
          for (const d of batch) provisioned.push({ id: d.id, model, firmware, status: 'active', tags, createdAt: createdAt.get(d.id)!, secret: d.secret, claimCode: d.claimCode });
        }
      }),
    );

    this.log.info({ model, firmware, count, ms: Math.round(performance.now() - started) }, 'devices provisioned');
    return provisioned;
  }

  async authenticateDevice(deviceId: string, secret: string | Uint8Array): Promise<DeviceRecord | null> {
    const row = isDeviceId(deviceId)
      ? (
          await this.run('authenticate a device', () =>
            this.sql.query<CredentialRow>(`SELECT ${COLUMNS}, secret_scheme, secret_salt, secret_hash FROM devices WHERE id = $1`, [deviceId]),
          )
        )[0]
      : undefined;
    // Hash and compare on every path, so "no such device" is not measurably faster than "wrong secret".
    const stored = row && row.secret_scheme === SECRET_SCHEME ? { salt: row.secret_salt, hash: row.secret_hash } : DUMMY_SECRET;
    const match = verifySecret(typeof secret === 'string' || secret instanceof Uint8Array ? secret : '', stored.salt, stored.hash);
    if (!row || !match || row.status !== 'active') {
      this.log.debug({ deviceId: isDeviceId(deviceId) ? deviceId : '(malformed)', reason: !row ? 'unknown' : !match ? 'secret' : row.status }, 'device authentication failed');
      return null;
    }
    return toRecord(row);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    if (!isDeviceId(id)) return null;
    const rows = await this.run('read a device', () => this.sql.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]));
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listDevices(query: ListDevicesQuery): Promise<DevicePage> {
    const limit = validateLimit(query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.model !== undefined) {
      params.push(validateModel(query.model));
      where.push(`model = $${params.length}`);
    }
    if (query.cursor !== undefined) {
      params.push(decodeCursor(query.cursor));
      where.push(`id > $${params.length}`);
    }
    params.push(limit + 1); // one extra row tells whether another page exists
    const text = `SELECT ${COLUMNS} FROM devices ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`;
    const rows = await this.run('list devices', () => this.sql.query<DeviceRow>(text, params));
    const page = rows.slice(0, limit).map(toRecord);
    return { devices: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  async countDevices(query: { model?: string } = {}): Promise<number> {
    const rows =
      query.model === undefined
        ? await this.run('count devices', () => this.sql.query<{ n: number | string }>('SELECT count(*) AS n FROM devices'))
        : await this.run('count devices', () =>
            this.sql.query<{ n: number | string }>('SELECT count(*) AS n FROM devices WHERE model = $1', [validateModel(query.model)]),
          );
    return Number(rows[0]?.n ?? 0);
  }

  async setFirmware(id: string, version: string): Promise<void> {
    const firmware = validateFirmware(version);
    await this.update(id, 'record firmware', 'firmware = $2', [firmware]);
  }

  async setTags(id: string, tags: string[]): Promise<DeviceRecord> {
    return this.update(id, 'set tags', 'tags = $2::text[]', [validateTags(tags)]);
  }

  disableDevice(id: string): Promise<DeviceRecord> {
    return this.update(id, 'disable a device', 'status = $2', ['disabled']);
  }

  enableDevice(id: string): Promise<DeviceRecord> {
    return this.update(id, 'enable a device', 'status = $2', ['active']);
  }

  async rotateSecret(id: string): Promise<string> {
    const secret = generateSecret();
    const { salt, hash } = hashSecret(secret);
    await this.update(id, 'rotate a secret', `secret_scheme = $2::smallint, secret_salt = decode($3, 'hex'), secret_hash = decode($4, 'hex')`, [
      SECRET_SCHEME,
      salt.toString('hex'),
      hash.toString('hex'),
    ]);
    this.log.info({ deviceId: id }, 'device secret rotated');
    return secret;
  }

  /** `UPDATE devices SET <assignments> WHERE id = $1`; `assignments` is trusted SQL using `$2…` for `values`. */
  private async update(id: string, op: string, assignments: string, values: unknown[]): Promise<DeviceRecord> {
    if (!isDeviceId(id)) throw notFound(id);
    const rows = await this.run(op, () =>
      this.sql.query<DeviceRow>(`UPDATE devices SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, ...values]),
    );
    if (!rows[0]) throw notFound(id);
    return toRecord(rows[0]);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
