import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { FleetFeedback } from '../../api/voice-types';
import { ModelSelect } from '../../components/choosers';
import { FleetJustification, useFleetJustification } from '../../components/justification';
import { NOTE_CATEGORY_LABELS } from '../../components/note-form';
import { Empty, ErrorNote, Loading, TableWrap } from '../../components/status';
import { useLoad } from '../../hooks';
import { knownVersions } from './fleet-data';
import { SuppressedNote } from './overview';

/** Owners' notes per day or week, category, model and firmware (k-anonymous, consenting devices only). */
export function FeedbackPage() {
  const [why, setWhy] = useFleetJustification();
  const known = useLoad((s) => knownVersions(s), []);
  const [model, setModel] = useState('');
  const [bucket, setBucket] = useState<'day' | 'week'>('day');
  const feedback = useLoad((signal) => api<FleetFeedback>('GET', `/v1/fleet/feedback${qs({ model, bucket })}`, { justification: why, signal }), [model, bucket, why]);
  const groups = [...(feedback.data?.groups ?? [])].sort((a, b) => b.time.localeCompare(a.time) || b.notes - a.notes);
  return (
    <>
      <h1>Owner feedback</h1>
      <div class="row controls">
        <FleetJustification value={why} onChange={setWhy} />
        <ModelSelect id="feedback-model" models={known.data?.models} value={model} onChange={setModel} />
        <div>
          <label for="feedback-bucket">Per</label>
          <select id="feedback-bucket" value={bucket} onChange={(e) => setBucket(e.currentTarget.value as 'day' | 'week')}>
            <option value="day">day</option>
            <option value="week">week</option>
          </select>
        </div>
      </div>
      <p class="hint">
        Open notes by the moment they are pinned to and the firmware the device ran when they were written. A note’s text and the telemetry around it are read on the
        device’s page, with a reason the owner sees.
      </p>
      <ErrorNote error={feedback.error} />
      {!feedback.data ? (
        <Loading what="Loading feedback" />
      ) : groups.length === 0 ? (
        <Empty>No feedback in groups of at least {feedback.data.minDevices} devices in this range.</Empty>
      ) : (
        <TableWrap label="Feedback">
          <table data-testid="feedback">
            <thead>
              <tr>
                <th scope="col">{bucket === 'day' ? 'Day' : 'Week of'}</th>
                <th scope="col">Category</th>
                <th scope="col">Model</th>
                <th scope="col">Firmware</th>
                <th scope="col">Notes</th>
                <th scope="col">Devices</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={`${g.time} ${g.category} ${g.model} ${g.firmware}`}>
                  <th scope="row">{g.time.slice(0, 10)}</th>
                  <td>{NOTE_CATEGORY_LABELS[g.category] ?? g.category}</td>
                  <td>{g.model}</td>
                  <td>{g.firmware}</td>
                  <td>{g.notes}</td>
                  <td>{g.devices}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {feedback.data && <SuppressedNote suppressed={feedback.data.suppressedGroups} minDevices={feedback.data.minDevices} excluded={feedback.data.excludedDevices} />}
    </>
  );
}
