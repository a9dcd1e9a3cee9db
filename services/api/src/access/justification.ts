import type { FastifyRequest } from 'fastify';
import { ForbiddenError, ValidationError } from '@parley/errors';

/**
 * Why a manufacturer engineer reads a device's data. Stated per request (header
 * `X-Parley-Justification` or query `justification`), logged in the access log the owner reads.
 * `support-case` and `legal-request` must name their reference.
 */
export const JUSTIFICATION_KINDS = ['support-case', 'warranty-review', 'fleet-analytics', 'quality-investigation', 'security-incident', 'legal-request'] as const;
export type JustificationKind = (typeof JUSTIFICATION_KINDS)[number];

const PATTERN = /^([a-z-]+)(?::([A-Za-z0-9._#/-]{1,64}))?$/;
const NEEDS_REF = new Set<string>(['support-case', 'legal-request']);

export interface Justification {
  kind: JustificationKind;
  ref: string | null;
  text: string;
}

export function parseJustification(value: string | undefined): Justification {
  if (value === undefined || value === '') {
    throw new ValidationError(
      'justification_required',
      `Manufacturer reads of a device's data need a justification: send "X-Parley-Justification: <kind>[:<ref>]" (or ?justification=), kind one of ${JUSTIFICATION_KINDS.join(', ')}; e.g. support-case:4711. The owner sees it in their access log.`,
    );
  }
  const m = PATTERN.exec(value);
  if (!m || !(JUSTIFICATION_KINDS as readonly string[]).includes(m[1]!)) {
    throw new ValidationError('invalid_justification', `A justification is <kind>[:<ref>] with kind one of ${JUSTIFICATION_KINDS.join(', ')} and ref of letters, digits and ._#/- (e.g. support-case:4711).`);
  }
  if (NEEDS_REF.has(m[1]!) && !m[2]) {
    throw new ValidationError('invalid_justification', `"${m[1]}" needs its reference, e.g. ${m[1]}:4711.`);
  }
  return { kind: m[1] as JustificationKind, ref: m[2] ?? null, text: value };
}

/** The justification of a request: `?justification=` first, else the `X-Parley-Justification` header. */
export function requestJustification(req: FastifyRequest, query?: string): Justification {
  const header = req.headers['x-parley-justification'];
  return parseJustification(query ?? (typeof header === 'string' ? header : undefined));
}

/** Fleet aggregates are for fleet-analytics or a quality investigation, nothing else. */
export function requireFleetJustification(req: FastifyRequest, query?: string): Justification {
  const j = requestJustification(req, query);
  if (j.kind !== 'fleet-analytics' && j.kind !== 'quality-investigation') {
    throw new ForbiddenError('invalid_justification', 'Fleet aggregates need the justification fleet-analytics or quality-investigation.');
  }
  return j;
}
