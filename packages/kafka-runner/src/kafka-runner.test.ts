import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { newClusterId } from './cluster-state';
import { parseKafkaVersion, POM_PATH } from './kafka-jars';
import { renderServerProperties, type NodeLayout } from './server-properties';
import { parseJavaMajor } from './tools';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const nodes: NodeLayout[] = [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', port: 20000 + 2 * id, controllerPort: 20001 + 2 * id, dataDir: `/d/node-${id}/data` }));

describe('server.properties', () => {
  it('makes every node of three a voter, replicates 3 ways and requires 2 in-sync replicas', () => {
    const p = parse(renderServerProperties(nodes[1]!, nodes));
    expect(p['node.id']).toBe('2');
    expect(p['controller.quorum.voters']).toBe('1@127.0.0.1:20003,2@127.0.0.1:20005,3@127.0.0.1:20007');
    expect(p.listeners).toBe('PLAINTEXT://127.0.0.1:20004,CONTROLLER://127.0.0.1:20005');
    expect(p['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:20004');
    expect(p['default.replication.factor']).toBe('3');
    expect(p['min.insync.replicas']).toBe('2');
    expect(p['offsets.topic.replication.factor']).toBe('3');
    expect(p['auto.create.topics.enable']).toBe('false');
  });

  it('uses replication 1 and min.insync.replicas 1 for a single node, and applies overrides last', () => {
    const p = parse(renderServerProperties(nodes[0]!, [nodes[0]!], { 'num.io.threads': '8' }));
    expect(p['default.replication.factor']).toBe('1');
    expect(p['min.insync.replicas']).toBe('1');
    expect(p['offsets.topic.replication.factor']).toBe('1');
    expect(p['num.io.threads']).toBe('8');
  });
});

describe('tool and version parsing', () => {
  it('reads the Java major version from `java -version` output', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('nothing here')).toBeNull();
  });

  it('pins a Kafka 4.x release in pom.xml', async () => {
    expect(parseKafkaVersion(await readFile(POM_PATH, 'utf8'))).toMatch(/^4\.\d+\.\d+$/);
  });

  it('makes KRaft cluster ids of 16 bytes that never start with a dash', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId();
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      expect(id.startsWith('-')).toBe(false);
    }
  });
});
