/** The image and the compose file as shipped: the app runs as the unprivileged `node` user, never as root. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('container', () => {
  it('runs the runtime stage of the Dockerfile as node, and nothing after switches back', () => {
    const stages = read('Dockerfile').split(/^FROM /m);
    const runtime = stages.at(-1) ?? '';
    const users = [...runtime.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(runtime.slice(runtime.lastIndexOf('USER node'))).not.toMatch(/^RUN /m);
  });

  it('gives api and worker in docker-compose.yml no root user and no privileges', () => {
    const compose = read('docker-compose.yml');
    for (const service of ['api', 'worker']) {
      const block = new RegExp(`^  ${service}:\\n((?:    .*\\n|\\n)+)`, 'm').exec(compose)?.[1];
      expect(block, service).toBeDefined();
      expect(block).not.toMatch(/^\s+user:/m);
      expect(block).not.toMatch(/privileged:\s*true|cap_add:/);
    }
  });
});
