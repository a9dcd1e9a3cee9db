/** Columns of the CSV export: one row per sample, event, command result, downlink, relationship entry, grant, access or command. */
export const CSV_COLUMNS = ['record', 'time', 'received_at', 'metric', 'value', 'code', 'severity', 'message', 'command_id', 'status', 'detail', 'json'] as const;
export type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>;

/**
 * One CSV field (RFC 4180 quoting). Text starting with = + - @ or a tab is prefixed with ' so a
 * spreadsheet never runs it as a formula (CSV injection): device messages are untrusted input.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(row: CsvRow): string {
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',') + '\r\n';
}
