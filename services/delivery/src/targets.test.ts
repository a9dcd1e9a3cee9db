import { describe, expect, it } from 'vitest';
import { checkDestinationUrl, isBlockedAddress, resolveAllowed } from './targets';

const strict = { allowInsecure: false };
const lax = { allowInsecure: true };

describe('destination URL policy', () => {
  it('accepts https webhooks and mqtts brokers on public names and addresses', () => {
    expect(checkDestinationUrl('webhook', 'https://hooks.example.com/parley?x=1', strict)).toBe('https://hooks.example.com/parley?x=1');
    expect(checkDestinationUrl('webhook', 'https://93.184.215.14:8443/in', strict)).toBe('https://93.184.215.14:8443/in');
    expect(checkDestinationUrl('mqtt', 'mqtts://broker.example.net:8883', strict)).toBe('mqtts://broker.example.net:8883');
  });

  it('refuses plaintext schemes unless insecure targets are allowed', () => {
    expect(() => checkDestinationUrl('webhook', 'http://hooks.example.com/', strict)).toThrow(expect.objectContaining({ code: 'insecure_destination', status: 400 }));
    expect(() => checkDestinationUrl('mqtt', 'mqtt://broker.example.net', strict)).toThrow(expect.objectContaining({ code: 'insecure_destination' }));
    expect(() => checkDestinationUrl('webhook', 'ftp://hooks.example.com/', lax)).toThrow(expect.objectContaining({ code: 'insecure_destination' }));
    expect(checkDestinationUrl('webhook', 'http://127.0.0.1:9000/in', lax)).toBe('http://127.0.0.1:9000/in');
  });

  it('refuses loopback, private, link-local and reserved targets, however they are spelled', () => {
    for (const url of [
      'https://localhost/x',
      'https://api.localhost/x',
      'https://127.0.0.1/x',
      'https://2130706433/x', // 127.0.0.1 as one number
      'https://0x7f.1/x',
      'https://10.1.2.3/x',
      'https://172.20.0.1/x',
      'https://192.168.1.10/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
    ]) {
      expect(() => checkDestinationUrl('webhook', url, strict), url).toThrow(expect.objectContaining({ code: 'destination_not_public' }));
    }
  });

  it('refuses credentials in URLs, non-URLs, and MQTT URLs with a path', () => {
    expect(() => checkDestinationUrl('webhook', 'https://user:pw@hooks.example.com/', strict)).toThrow(expect.objectContaining({ code: 'invalid_destination_url' }));
    expect(() => checkDestinationUrl('webhook', 'not a url', strict)).toThrow(expect.objectContaining({ code: 'invalid_destination_url' }));
    expect(() => checkDestinationUrl('mqtt', 'mqtts://broker.example.net/topic', strict)).toThrow(expect.objectContaining({ code: 'invalid_destination_url' }));
  });

  it('classifies addresses and refuses a name that resolves to loopback at connection time', async () => {
    expect(isBlockedAddress('8.8.8.8')).toBe(false);
    expect(isBlockedAddress('2606:4700::1111')).toBe(false);
    expect(isBlockedAddress('127.0.0.53')).toBe(true);
    expect(isBlockedAddress('not-an-ip')).toBe(true);
    await expect(resolveAllowed('localhost', strict)).rejects.toMatchObject({ code: 'destination_not_public', retryable: false });
    await expect(resolveAllowed('localhost', lax)).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
