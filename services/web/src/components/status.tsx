import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';

/** An error message box, announced to screen readers. */
export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : null;
  return (
    <p class="error" role="alert">
      {code ? <strong>{code}: </strong> : null}
      {error.message}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A state label with a colour class, e.g. pending/sent/acked. */
export function Badge({ value, tone }: { value: string; tone?: string }) {
  return <span class={`badge badge-${tone ?? value.replace(/[^a-z0-9-]/gi, '-')}`}>{value}</span>;
}

/** A horizontally scrollable table wrapper for small screens. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
