// Display helpers: times in the viewer's locale, numbers with sensible precision.

export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function shortTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** An ISO time as a `datetime-local` input value (the viewer's local time, to the second). */
export function localInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A `datetime-local` input value (local time) as ISO, or null when empty or incomplete. */
export function fromLocalInput(value: string): string | null {
  const t = value ? new Date(value).getTime() : NaN;
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function num(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const abs = Math.abs(v);
  const d = abs >= 100 ? 0 : abs >= 10 ? 1 : digits;
  return v.toLocaleString(undefined, { maximumFractionDigits: d });
}

export function percent(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return `${(v * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
}

/** "+12 %" for a relative change, or "–". */
export function change(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const p = (v * 100).toLocaleString(undefined, { maximumFractionDigits: 1 });
  return v > 0 ? `+${p} %` : `${p} %`;
}

/** Human words for relationship entry types. */
export const RELATIONSHIP_LABELS: Record<string, string> = {
  claimed: 'Claimed',
  transferred: 'Transferred to a new owner',
  released: 'Released',
  grant_created: 'Access granted',
  grant_revoked: 'Access revoked',
  inference: 'Manufacturer inference',
  inference_disputed: 'Inference disputed',
  inference_annotated: 'Inference annotated',
  inference_response: 'Manufacturer responded',
  command_proposed: 'Command proposed',
  command_approved: 'Command approved',
  command_declined: 'Command declined',
  command_sent: 'Command sent',
  command_acked: 'Command confirmed by the device',
  command_failed: 'Command failed',
  command_expired: 'Command expired',
  command_policy: 'Standing policy changed',
  consent_changed: 'Fleet analytics consent changed',
  note: 'Owner’s note',
  idea_update: 'Idea update from the manufacturer',
};

export function relationshipLabel(type: string): string {
  return RELATIONSHIP_LABELS[type] ?? type.replace(/_/g, ' ');
}
