/**
 * V8 flags for every Node process that runs a part of the platform (or the simulator feeding it).
 * A 64 MiB young generation: fewer, cheaper scavenges at high message rates (README, Configuration).
 * `npm start`, `bench:e2e`, `soak` (package.json) and infra/Dockerfile spell the same flags out,
 * since neither JSON nor a Dockerfile can import them; node-flags.test.ts holds them to these.
 */
export const NODE_FLAGS = ['--max-semi-space-size=64'] as const;
