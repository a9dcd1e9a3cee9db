import { useState } from 'preact/hooks';
import { JUSTIFICATION_KEY } from '../api/client';

export const DEVICE_KINDS = ['support-case', 'warranty-review', 'quality-investigation', 'security-incident', 'legal-request', 'fleet-analytics'] as const;
export const FLEET_KINDS = ['fleet-analytics', 'quality-investigation'] as const;
const NEEDS_REF = new Set(['support-case', 'legal-request']);

/** The fleet justification this tab uses (fleet-analytics unless changed). */
export function useFleetJustification(): [string, (j: string) => void] {
  const [j, setJ] = useState(sessionStorage.getItem(`${JUSTIFICATION_KEY}.fleet`) ?? 'fleet-analytics');
  return [
    j,
    (v) => {
      sessionStorage.setItem(`${JUSTIFICATION_KEY}.fleet`, v);
      setJ(v);
    },
  ];
}

/** A select for the fleet pages' justification (it lands in the owners' access logs). */
export function FleetJustification({ value, onChange }: { value: string; onChange(v: string): void }) {
  return (
    <div>
      <label for="fleet-justification">Why (logged)</label>
      <select id="fleet-justification" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {FLEET_KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * Asks an engineer why they open a device before anything of it is loaded; the owner reads the
 * answer in their access log.
 */
export function JustificationPrompt({ deviceId, onJustified }: { deviceId: string; onJustified(j: string): void }) {
  const [kind, setKind] = useState<string>('support-case');
  const [ref, setRef] = useState('');
  const needsRef = NEEDS_REF.has(kind);
  const valid = !needsRef || /^[A-Za-z0-9._#/-]{1,64}$/.test(ref.trim());
  return (
    <form
      class="card justification"
      aria-labelledby="why-h"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) onJustified(ref.trim() ? `${kind}:${ref.trim()}` : kind);
      }}
    >
      <h2 id="why-h">Why do you open {deviceId}?</h2>
      <p>Every read of a device is shown to its owner with the reason you give here. If the owner opted out of fleet analytics, only a support case is accepted.</p>
      <div class="row">
        <div>
          <label for="why-kind">Reason</label>
          <select id="why-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            {DEVICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="why-ref">Reference {needsRef ? '(required)' : '(optional)'}</label>
          <input id="why-ref" value={ref} required={needsRef} pattern="[A-Za-z0-9._#/\-]{1,64}" onInput={(e) => setRef(e.currentTarget.value)} placeholder="4711" />
        </div>
      </div>
      <button type="submit" disabled={!valid}>
        Open device
      </button>
    </form>
  );
}
