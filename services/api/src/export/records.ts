import type { AccessRecord, Command, Grant, Inference, Receipt } from '@parley/registry';
import { OPEN_END_MS, type DeviceScope } from '../access/device-scope';
import { conversationPage, type ConversationEntry } from '../conversation/page';
import type { ApiDeps } from '../deps';
import type { CsvRow } from './csv';

const PAGE = 1000;

/** Everything one ownership period holds, as typed records, read page by page (never all in memory). */
export type ExportRecord =
  | { type: 'export'; deviceId: string; periodId: string; from: string; to: string | null; generatedAt: string }
  | { type: 'conversation'; item: ConversationEntry }
  | { type: 'grant'; grant: Grant }
  | { type: 'receipt'; receipt: Receipt }
  | { type: 'access'; access: AccessRecord }
  | { type: 'inference'; inference: Inference }
  | { type: 'command'; command: Command };

export async function* exportRecords(deps: ApiDeps, scope: DeviceScope): AsyncGenerator<ExportRecord> {
  const period = scope.period!;
  const deviceId = scope.device.id;
  yield { type: 'export', deviceId, periodId: period.id, from: period.startedAt.toISOString(), to: period.endedAt?.toISOString() ?? null, generatedAt: new Date().toISOString() };
  let cursor: string | undefined;
  do {
    const page = await conversationPage(deps, scope, { fromMs: 0, toMs: OPEN_END_MS, limit: PAGE, order: 'asc', ...(cursor ? { cursor } : {}) });
    for (const item of page.items) yield { type: 'conversation', item };
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  for (const grant of await deps.registry.grants.ofPeriod(period.id)) {
    yield { type: 'grant', grant };
    const receipt = await deps.registry.grants.receipt(grant.receiptId);
    if (receipt) yield { type: 'receipt', receipt };
  }
  let before: string | undefined;
  do {
    const page = await deps.registry.accessLog.list({ deviceId, periodIds: [period.id], limit: PAGE, ...(before ? { before } : {}) });
    for (const access of page.entries) yield { type: 'access', access };
    before = page.nextCursor ?? undefined;
  } while (before);
  const w = scope.window!;
  for (const inference of await deps.registry.inferences.ofDevice(deviceId, w.fromMs, w.toMs)) yield { type: 'inference', inference };
  for (const command of await deps.registry.commands.ofDevice(deviceId, w.fromMs, w.toMs)) yield { type: 'command', command };
}

/** The CSV rows of one export record (an uplink becomes a row per sample, event and result). */
export function csvRows(r: ExportRecord): CsvRow[] {
  switch (r.type) {
    case 'export':
      return [{ record: 'export', time: r.generatedAt, detail: `device ${r.deviceId}, period ${r.periodId} from ${r.from} to ${r.to ?? 'now'}` }];
    case 'conversation': {
      const i = r.item;
      if (i.kind === 'uplink') {
        return [
          ...i.samples.map((s) => ({ record: 'sample', time: s.time, received_at: i.receivedAt, metric: s.metric, value: s.value })),
          ...i.events.map((e) => ({ record: 'event', time: e.time, received_at: i.receivedAt, code: e.code, severity: e.severity, message: e.message, json: JSON.stringify(e.attributes) })),
          ...i.commandResults.map((c) => ({ record: 'command_result', time: c.time, received_at: i.receivedAt, command_id: c.commandId, status: c.status, detail: c.detail })),
        ];
      }
      if (i.kind === 'downlink') return [{ record: 'downlink', time: i.time, command_id: i.commandId, code: i.type, json: JSON.stringify(i.body) }];
      return [{ record: 'relationship', time: i.time, code: i.type, detail: i.actor, json: JSON.stringify(i.body) }];
    }
    case 'grant':
      return [{ record: 'grant', time: r.grant.createdAt.toISOString(), status: r.grant.status, detail: r.grant.purpose, json: JSON.stringify(r.grant) }];
    case 'receipt':
      return [{ record: 'receipt', time: r.receipt.createdAt.toISOString(), code: r.receipt.kind, json: JSON.stringify(r.receipt.body) }];
    case 'access':
      return [{ record: 'access', time: r.access.at.toISOString(), code: r.access.route, detail: `${r.access.kind}/${r.access.role} ${r.access.accountId}: ${r.access.purpose}` }];
    case 'inference':
      return [{ record: 'inference', time: r.inference.createdAt.toISOString(), code: r.inference.code, message: r.inference.title, status: r.inference.status, json: JSON.stringify(r.inference) }];
    case 'command':
      return [{ record: 'command', time: r.command.proposedAt.toISOString(), command_id: r.command.id, code: r.command.class, status: r.command.state, json: JSON.stringify(r.command) }];
  }
}
