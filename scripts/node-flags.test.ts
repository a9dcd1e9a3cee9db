import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from './node-flags';

const root = new URL('../', import.meta.url);

// package.json and the Dockerfile cannot import the constant, so they are checked against it.
describe('NODE_FLAGS', () => {
  it('are given to every platform process package.json starts', async () => {
    const { scripts } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'bench:e2e', 'soak']) {
      expect(scripts[name], name).toContain(`tsx ${NODE_FLAGS.join(' ')} `);
    }
  });

  it('are given to the container image', async () => {
    const dockerfile = await readFile(new URL('infra/Dockerfile', root), 'utf8');
    const cmd = dockerfile.split('\n').find((l) => l.startsWith('CMD '));
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!.slice(4)) as string[]).toEqual(['node', ...NODE_FLAGS, '--import', 'tsx', 'services/platform/src/main.ts']);
  });
});
