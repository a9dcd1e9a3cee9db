import type { Period } from '../api/types';
import { time } from '../format';

/** Picks one of a household's ownership periods of a device; with `latestLabel`, an empty value means "the latest". */
export function PeriodSelect({ id, periods, value, onChange, latestLabel }: { id: string; periods: Period[]; value: string; onChange(v: string): void; latestLabel?: string }) {
  return (
    <div>
      <label for={id}>Ownership period</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {latestLabel !== undefined && <option value="">{latestLabel}</option>}
        {periods.map((p) => (
          <option key={p.id} value={p.id}>
            {time(p.startedAt)} – {p.endedAt ? time(p.endedAt) : 'now'}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Picks a device model for a fleet query; an empty value means all models. */
export function ModelSelect({ id, models, value, onChange }: { id: string; models: readonly string[] | undefined; value: string; onChange(v: string): void }) {
  return (
    <div>
      <label for={id}>Model</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">all models</option>
        {models?.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
    </div>
  );
}
