import { freePorts } from '@parley/kafka-runner';
import type { ChildEcho } from '../cluster/processes';
import { soakApi } from './api-client';
import { SoakProcess } from './soak-process';
import { ingestFigures, type SoakTarget } from './target';

/**
 * The embedded platform as one child process on `dataDir` and two free ports picked once; its
 * fault is `platform`: kill -9 and a restart on the same data dir and ports.
 */
export async function startEmbeddedTarget(dataDir: string, echo: ChildEcho): Promise<SoakTarget> {
  const [mqttPort, httpPort] = await freePorts('127.0.0.1', 2);
  const platform = await SoakProcess.start('platform', { PARLEY_DATA_DIR: dataDir, PARLEY_MQTT_PORT: String(mqttPort), PARLEY_HTTP_PORT: String(httpPort) }, echo);
  // The token is kept in the data dir, so it stays the same across restarts.
  const api = soakApi(platform.banner('API'), () => platform.banner('Token'));
  let restarting = false;
  const figures = async () => (platform.up && !restarting ? ingestFigures(await api.metricsText()) : { lag: null, p99Ms: null });
  return {
    description: [`embedded: one platform process (pid ${platform.pid}) on ${platform.banner('MQTT')} and ${platform.banner('API')}, data dir ${dataDir}`],
    mqttUrls: [platform.banner('MQTT')],
    api,
    async inject(fault) {
      if (fault !== 'platform') throw new Error(`the embedded soak has no fault ${fault}`);
      const pid = platform.pid;
      restarting = true;
      try {
        const ms = await platform.killAndRestart();
        return { fault, what: `kill -9 platform pid ${pid}, restarted as pid ${platform.pid} on the same data dir`, recoveryMs: ms };
      } finally {
        restarting = false;
      }
    },
    lag: async () => (await figures().catch(() => ({ lag: null }))).lag,
    ingestP99Ms: async () => (await figures().catch(() => ({ p99Ms: null }))).p99Ms,
    down: () => (platform.up || restarting ? [] : ['platform']),
    state: () => (restarting ? 'platform restarting' : platform.up ? 'up' : 'platform DOWN'),
    stop: async () => `platform stopped with ${await platform.stop()}`,
    killNow: () => platform.killNow(),
  };
}
