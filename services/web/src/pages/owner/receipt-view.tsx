import type { Receipt } from '../../api/types';
import { time } from '../../format';

/** A consent or deletion receipt: the key terms in words, the full document below. */
export function ReceiptView({ receipt }: { receipt: Receipt }) {
  const b = receipt.body as Record<string, any>;
  const purpose = b['services']?.[0]?.purposes?.[0];
  return (
    <div class="receipt" data-testid="receipt">
      <h3>{receipt.kind === 'deletion' ? 'Deletion receipt' : 'Consent receipt'}</h3>
      <dl>
        <dt>Receipt id</dt>
        <dd>
          <code>{receipt.id}</code>
        </dd>
        <dt>Issued</dt>
        <dd>{time(receipt.createdAt)}</dd>
        {purpose && (
          <>
            <dt>Purpose</dt>
            <dd>{purpose.purpose}</dd>
            <dt>Shared with</dt>
            <dd>{purpose.thirdPartyName}</dd>
            <dt>Data</dt>
            <dd>{(purpose.piiCategory ?? []).join(', ') || '–'}</dd>
            <dt>Ends</dt>
            <dd>{time(purpose.termination)}</dd>
          </>
        )}
        {b['parley']?.revocable && (
          <>
            <dt>Revocable</dt>
            <dd>{b['parley'].revocable}</dd>
          </>
        )}
        {receipt.kind === 'deletion' && b['deleted'] && (
          <>
            <dt>Erased at</dt>
            <dd>{time(b['erasedAt'])}</dd>
            <dt>Deleted</dt>
            <dd>
              <pre>{JSON.stringify(b['deleted'], null, 2)}</pre>
            </dd>
          </>
        )}
      </dl>
      <details>
        <summary>Full receipt (JSON)</summary>
        <pre>{JSON.stringify(receipt.body, null, 2)}</pre>
      </details>
    </div>
  );
}
