import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import { newId } from './ids';
import type { Account, Accounts, AccountKind, IssuedToken, NewAccount, TokenInfo, TokenOptions } from './types';

/** `prl_<token id>_<43 base64url characters of secret>`. */
const TOKEN_PATTERN = /^prl_(tok_[0-9a-z]{16})_([A-Za-z0-9_-]{43})$/;
const ROLES: Record<AccountKind, readonly string[]> = {
  manufacturer: ['viewer', 'operator', 'admin'],
  owner: ['owner', 'co-owner', 'viewer'],
  grantee: ['grantee'],
};
const MAX_TTL_SECONDS = 5 * 366 * 86_400;

interface AccountRow {
  id: string;
  kind: AccountKind;
  role: string;
  owner_id: string | null;
  display_name: string | null;
  created_at: Date;
}

interface TokenRow {
  id: string;
  account_id: string;
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const ACCOUNT_COLUMNS = 'id, kind, role, owner_id, display_name, created_at';
const TOKEN_COLUMNS = 'id, account_id, label, created_at, expires_at, revoked_at';

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  kind: r.kind,
  role: r.role,
  ownerId: r.owner_id,
  displayName: r.display_name,
  createdAt: new Date(r.created_at),
});

const toToken = (r: TokenRow): TokenInfo => ({
  id: r.id,
  accountId: r.account_id,
  label: r.label,
  createdAt: new Date(r.created_at),
  expiresAt: r.expires_at ? new Date(r.expires_at) : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
});

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function validateDisplayName(name: string | undefined): string | null {
  if (name === undefined) return null;
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 80 || /[\p{Cc}]/u.test(trimmed)) {
    throw new ValidationError('invalid_display_name', 'A display name has 1 to 80 characters and no control characters.');
  }
  return trimmed;
}

function validateTokenOptions(o: TokenOptions): { label: string | null; expiresAt: Date | null } {
  if (o.label !== undefined && (o.label.length > 80 || /[\p{Cc}]/u.test(o.label))) {
    throw new ValidationError('invalid_token_label', 'A token label has at most 80 characters and no control characters.');
  }
  if (o.ttlSeconds !== undefined && (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds < 60 || o.ttlSeconds > MAX_TTL_SECONDS)) {
    throw new ValidationError('invalid_ttl', `A token lifetime is 60 to ${MAX_TTL_SECONDS} seconds (about five years).`);
  }
  return { label: o.label ?? null, expiresAt: o.ttlSeconds === undefined ? null : new Date(Date.now() + o.ttlSeconds * 1000) };
}

async function insertToken(tx: Sql, accountId: string, options: TokenOptions): Promise<IssuedToken> {
  const { label, expiresAt } = validateTokenOptions(options);
  const id = newId('tok');
  const secret = randomBytes(32).toString('base64url');
  const [row] = await tx.query<TokenRow>(`INSERT INTO tokens (id, account_id, hash, label, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${TOKEN_COLUMNS}`, [
    id,
    accountId,
    sha256(secret),
    label,
    expiresAt,
  ]);
  return { ...toToken(row!), token: `prl_${id}_${secret}` };
}

/** Hash of a token nobody holds: an unknown token id costs the same hash and compare as a wrong secret. */
const DUMMY_HASH = sha256(randomBytes(32).toString('base64url'));

export function sqlAccounts(sql: Sql): Accounts {
  return {
    async create(a: NewAccount, token: TokenOptions = {}) {
      const roles = ROLES[a.kind];
      if (!roles) throw new ValidationError('invalid_account_kind', 'An account kind is manufacturer, owner or grantee.');
      if (!roles.includes(a.role)) throw new ValidationError('invalid_role', `A ${a.kind} account's role is one of: ${roles.join(', ')}.`);
      const displayName = validateDisplayName(a.displayName);
      return guard('create an account', () =>
        sql.transaction(async (tx) => {
          let ownerId: string | null = null;
          if (a.kind === 'owner') {
            if (a.ownerId) {
              ownerId = a.ownerId;
            } else {
              ownerId = newId('own');
              await tx.query('INSERT INTO owners (id, display_name) VALUES ($1, $2)', [ownerId, displayName]);
            }
          }
          const [row] = await tx.query<AccountRow>(
            `INSERT INTO accounts (id, kind, role, owner_id, display_name, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ACCOUNT_COLUMNS}`,
            [newId(a.kind === 'owner' ? 'acc' : a.kind === 'grantee' ? 'app' : 'eng'), a.kind, a.role, ownerId, displayName, a.createdBy],
          );
          const account = toAccount(row!);
          return { account, token: await insertToken(tx, account.id, token) };
        }),
      );
    },

    async get(id) {
      const rows = await guard('read an account', () => sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND disabled_at IS NULL`, [id]));
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async authenticate(token) {
      const m = TOKEN_PATTERN.exec(token);
      const rows = m
        ? await guard('check a token', () =>
            sql.query<AccountRow & { hash: Uint8Array; expires_at: Date | null; revoked_at: Date | null; disabled_at: Date | null }>(
              `SELECT a.id, a.kind, a.role, a.owner_id, a.display_name, a.created_at, a.disabled_at, t.hash, t.expires_at, t.revoked_at
               FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = $1`,
              [m[1]],
            ),
          )
        : [];
      const row = rows[0];
      const presented = sha256(m?.[2] ?? '');
      const match = timingSafeEqual(presented, row ? Buffer.from(row.hash) : DUMMY_HASH);
      if (!row || !match || row.revoked_at || row.disabled_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return null;
      return { account: toAccount(row), tokenId: m![1]! };
    },

    async createToken(accountId, options = {}) {
      return guard('create a token', () => insertToken(sql, accountId, options));
    },

    async listTokens(accountId) {
      return (await guard('list tokens', () => sql.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 ORDER BY created_at, id`, [accountId]))).map(toToken);
    },

    async revokeToken(accountId, tokenId) {
      const rows = await guard('revoke a token', () =>
        sql.query<TokenRow>(
          `UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND account_id = $2 RETURNING ${TOKEN_COLUMNS}`,
          [tokenId, accountId],
        ),
      );
      if (!rows[0]) throw new NotFoundError('token_not_found', `You have no token with id "${tokenId}". List yours with GET /v1/tokens.`);
      return toToken(rows[0]);
    },

    async household(ownerId) {
      return (
        await guard('list a household', () =>
          sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE owner_id = $1 AND disabled_at IS NULL ORDER BY created_at, id`, [ownerId]),
        )
      ).map(toAccount);
    },

    async disable(accountId) {
      await guard('disable an account', () => sql.query('UPDATE accounts SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1', [accountId]));
    },
  };
}
