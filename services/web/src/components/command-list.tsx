import type { ComponentChildren } from 'preact';
import type { Command } from '../api/types';
import { Badge, Empty, TableWrap } from './status';
import { time } from '../format';

function what(c: Command): string {
  const b = c.body;
  if (c.kind === 'firmware_offer') return `firmware ${String(b['version'] ?? '')}`;
  if (c.kind === 'config') return `settings ${JSON.stringify(b['settings'] ?? {})}`;
  return `${String(b['name'] ?? c.class)}${b['params'] && Object.keys(b['params'] as object).length ? ` ${JSON.stringify(b['params'])}` : ''}`;
}

/** Commands with their states; `actions` renders buttons for one row (owner approve/decline). */
export function CommandList({ commands, actions }: { commands: Command[]; actions?: (c: Command) => ComponentChildren }) {
  if (commands.length === 0) return <Empty>No commands.</Empty>;
  return (
    <TableWrap label="Commands">
      <table data-testid="commands">
        <thead>
          <tr>
            <th scope="col">Proposed</th>
            <th scope="col">Class</th>
            <th scope="col">What</th>
            <th scope="col">Why</th>
            <th scope="col">State</th>
            <th scope="col">Result</th>
            {actions && (
              <th scope="col">
                <span class="sr-only">Decision</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {commands.map((c) => (
            <tr key={c.id} data-command={c.id} data-state={c.state}>
              <td>{time(c.proposedAt)}</td>
              <td>
                {c.class} {c.emergency && <Badge value="emergency" tone="danger" />}
              </td>
              <td>{what(c)}</td>
              <td>{c.reason}</td>
              <td>
                <Badge value={c.state} />
                {c.approval && <span class="muted"> ({c.approval})</span>}
              </td>
              <td>{c.resultDetail ? `${c.resultDetail} (${time(c.resultAt)})` : '–'}</td>
              {actions && <td class="actions">{actions(c)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
