/** JSON-schema fragments of the owner's voice (notes, ideas), shared by its routes. */
import { IDEA_STATUSES, NOTE_CATEGORIES } from '@parley/registry';

const time = { type: 'string', format: 'date-time' } as const;
const timeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

export const noteCategory = { type: 'string', enum: NOTE_CATEGORIES } as const;
export const ideaStatus = { type: 'string', enum: IDEA_STATUSES } as const;
export const voiceText = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

export const noteSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    periodId: { type: 'string' },
    authorId: { type: 'string' },
    firmware: { type: 'string' },
    version: { type: 'integer' },
    at: time,
    until: timeOrNull,
    category: noteCategory,
    text: { type: ['string', 'null'], description: 'null once withdrawn (the history keeps it)' },
    status: { type: 'string', enum: ['open', 'withdrawn'] },
    createdAt: time,
    updatedAt: time,
    replies: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, authorId: { type: 'string' }, authorKind: { type: 'string' }, text: { type: 'string' }, createdAt: time } },
    },
  },
} as const;

export const noteVersionSchema = {
  type: 'object',
  properties: { version: { type: 'integer' }, at: time, until: timeOrNull, category: noteCategory, text: { type: 'string' }, status: { type: 'string' }, authorId: { type: 'string' }, createdAt: time },
} as const;

const tallySchema = {
  type: 'object',
  description: 'Up and down votes; null figures when fewer than k households voted',
  properties: { up: nullableInt, down: nullableInt, suppressed: { type: 'boolean' } },
} as const;

const ideaProperties = {
  id: { type: 'string' },
  model: { type: 'string' },
  title: { type: 'string' },
  body: { type: 'string' },
  status: ideaStatus,
  authorKind: { type: 'string', enum: ['manufacturer', 'owner'] },
  createdAt: time,
  updatedAt: time,
  tally: tallySchema,
  updates: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, status: ideaStatus, message: { type: 'string' }, createdAt: time } } },
} as const;

export const ideaSchema = { type: 'object', properties: ideaProperties } as const;

export const ideaDetailSchema = {
  type: 'object',
  properties: {
    ...ideaProperties,
    comments: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, authorKind: { type: 'string' }, mine: { type: 'boolean' }, text: { type: 'string' }, createdAt: time } },
    },
    myVotes: { type: 'array', items: { type: 'object', properties: { deviceId: { type: 'string' }, value: { type: 'string', enum: ['up', 'down'] } } } },
  },
} as const;

const cohortGroup = { type: 'object', properties: { cohort: { type: 'string' }, up: { type: 'integer' }, down: { type: 'integer' }, households: { type: 'integer' } } } as const;

export const cohortSchema = {
  type: 'object',
  properties: {
    by: { type: 'string' },
    minHouseholds: { type: 'integer' },
    tally: tallySchema,
    groups: { type: 'array', items: cohortGroup },
    other: { anyOf: [cohortGroup, { type: 'null' }] },
    suppressedGroups: { type: 'integer' },
  },
} as const;
