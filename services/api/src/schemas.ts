/** JSON-schema fragments for the owner-side resources, shared by routes. */
export const time = { type: 'string', format: 'date-time' } as const;
export const timeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

export const accountSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['manufacturer', 'owner', 'grantee'] },
    role: { type: 'string' },
    ownerId: { type: ['string', 'null'] },
    displayName: { type: ['string', 'null'] },
    createdAt: time,
  },
} as const;

export const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    label: { type: ['string', 'null'] },
    createdAt: time,
    expiresAt: timeOrNull,
    revokedAt: timeOrNull,
    token: { type: 'string', description: 'The bearer token; shown only in the response that created it' },
  },
} as const;

export const periodSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    ownerId: { type: 'string' },
    startedAt: time,
    endedAt: timeOrNull,
    endReason: { type: ['string', 'null'] },
    fleetAnalytics: { type: 'boolean' },
  },
} as const;

export const grantSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    periodId: { type: 'string' },
    granteeId: { type: 'string' },
    metrics: { type: 'array', items: { type: 'string' } },
    events: { type: 'array', items: { type: 'string' } },
    dataFrom: timeOrNull,
    dataTo: timeOrNull,
    expiresAt: time,
    purpose: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: time,
    revokedAt: timeOrNull,
    receiptId: { type: 'string' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired', 'ended'] },
  },
} as const;

export const receiptSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    deviceId: { type: 'string' },
    periodId: { type: ['string', 'null'] },
    granteeId: { type: ['string', 'null'] },
    body: { type: 'object', additionalProperties: true },
    createdAt: time,
  },
} as const;

export const inferenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    code: { type: 'string' },
    title: { type: 'string' },
    detail: { type: 'string' },
    evidence: { type: 'array', items: { type: 'object', additionalProperties: true } },
    status: { type: 'string' },
    authorId: { type: 'string' },
    createdAt: time,
    updatedAt: time,
    notes: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, kind: { type: 'string' }, body: { type: 'string' }, authorId: { type: 'string' }, authorKind: { type: 'string' }, createdAt: time },
      },
    },
  },
} as const;

export const commandSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    periodId: { type: ['string', 'null'] },
    class: { type: 'string' },
    kind: { type: 'string' },
    body: { type: 'object', additionalProperties: true },
    reason: { type: 'string' },
    emergency: { type: 'boolean' },
    state: { type: 'string', enum: ['pending', 'approved', 'declined', 'sent', 'acked', 'failed', 'expired'] },
    approval: { type: ['string', 'null'] },
    proposedBy: { type: 'string' },
    proposedAt: time,
    decidedBy: { type: ['string', 'null'] },
    decidedAt: timeOrNull,
    sentAt: timeOrNull,
    resultAt: timeOrNull,
    resultDetail: { type: ['string', 'null'] },
    expiresAt: time,
  },
} as const;

export const idParams = (name: string) => ({ type: 'object', properties: { [name]: { type: 'string', pattern: '^[a-z]{2,5}_[0-9a-z]{16}$' } }, required: [name] }) as const;
