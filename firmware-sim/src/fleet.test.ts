import { describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { validateFleetOptions } from './fleet.js';

const device = { id: 'fridge-0001', secret: 's', model: 'fridge-x1' };

describe('fleet options', () => {
  it('lets each device have its own broker (a fleet spread over several)', () => {
    const problems = validateFleetOptions({
      brokerUrl: 'mqtt://127.0.0.1:1884',
      devices: [device, { ...device, id: 'fridge-0002', brokerUrl: 'mqtt://127.0.0.1:1885' }, { ...device, id: 'fridge-0003', brokerUrl: '127.0.0.1:1886' }],
      messagesPerSecond: 1,
      log: silentLogger(),
    });
    expect(problems).toEqual(['devices[2].brokerUrl "127.0.0.1:1886" is not an mqtt:// (or mqtts://, ws://) URL']);
  });
});
