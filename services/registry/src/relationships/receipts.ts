import type { Sql } from '../db';
import type { Receipt } from './types';

/** A `receipts` row as stored. */
export interface ReceiptRow {
  id: string;
  kind: Receipt['kind'];
  device_id: string;
  period_id: string | null;
  grantee_id: string | null;
  body: Record<string, unknown>;
  created_at: Date;
}

export const toReceipt = (r: ReceiptRow): Receipt => ({
  id: r.id,
  kind: r.kind,
  deviceId: r.device_id,
  periodId: r.period_id,
  granteeId: r.grantee_id,
  body: r.body,
  createdAt: new Date(r.created_at),
});

/** What one consent is about: the parts of a receipt that differ between grants and destinations. */
export interface ConsentTerms {
  receiptId: string;
  at: Date;
  /** The pseudonymous household that consented. */
  ownerId: string;
  collectionMethod: string;
  service: string;
  purpose: string;
  purposeCategory: string;
  /** `metric:<name>` / `event:<code>` for each granted kind of data. */
  piiCategory: string[];
  /** When the consent ends (an ISO time, or how it ends). */
  termination: string;
  thirdPartyName: string;
  /** Parley's exact terms (grant or destination). */
  parley: Record<string, unknown>;
}

/** The data categories of a metrics/events scope, as a receipt lists them. */
export const scopeCategories = (metrics: string[], events: string[]): string[] => [...metrics.map((m) => `metric:${m}`), ...events.map((e) => `event:${e}`)];

/**
 * A consent receipt after the Kantara Initiative Consent Receipt Specification (v1.1): who consented
 * (the pseudonymous household), to whom, for what purpose, what data, for how long — plus Parley's
 * exact terms.
 */
export function consentReceipt(t: ConsentTerms): Record<string, unknown> {
  return {
    version: 'KI-CR-v1.1.0',
    consentReceiptID: t.receiptId,
    consentTimestamp: Math.floor(t.at.getTime() / 1000),
    collectionMethod: t.collectionMethod,
    jurisdiction: '',
    piiPrincipalId: t.ownerId,
    piiControllers: [{ piiController: 'device owner (household)', contact: t.ownerId }],
    policyUrl: '',
    services: [
      {
        service: t.service,
        purposes: [
          {
            purpose: t.purpose,
            purposeCategory: [t.purposeCategory],
            consentType: 'EXPLICIT',
            piiCategory: t.piiCategory,
            primaryPurpose: true,
            termination: t.termination,
            thirdPartyDisclosure: true,
            thirdPartyName: t.thirdPartyName,
          },
        ],
      },
    ],
    sensitive: false,
    spiCat: [],
    parley: t.parley,
  };
}

/** Stores a consent receipt inside the caller's transaction. */
export async function insertConsentReceipt(tx: Sql, r: { id: string; deviceId: string; periodId: string; granteeId: string | null; body: Record<string, unknown> }): Promise<Receipt> {
  const [row] = await tx.query<ReceiptRow>(`INSERT INTO receipts (id, kind, device_id, period_id, grantee_id, body) VALUES ($1, 'consent', $2, $3, $4, $5) RETURNING *`, [
    r.id,
    r.deviceId,
    r.periodId,
    r.granteeId,
    JSON.stringify(r.body),
  ]);
  return toReceipt(row!);
}
