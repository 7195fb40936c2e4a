/** The image and the compose file as shipped: the app runs as the unprivileged `node` user, never as root. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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

  it('builds the image on the Node LTS of .node-version, the one CI runs the suite on', () => {
    const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(read('Dockerfile'))?.[1] ?? '';
    expect(image.split('-')[0]).toBe(read('.node-version').trim());
  });

  it('gives every service of the app image in docker-compose.yml no root user and no privileges', () => {
    // parsed, so that what the services take from their shared definitions (<<: *api) is checked too
    const { services } = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { image?: string; user?: unknown; privileged?: unknown; cap_add?: unknown }>;
    };
    const ours = Object.entries(services).filter(([, s]) => s.image?.startsWith('vesper-temporal-webhooks:'));
    expect(ours.map(([name]) => name).sort()).toEqual(['api-1', 'api-2', 'worker-1', 'worker-2']);
    for (const [name, service] of ours) {
      expect(service.user, name).toBeUndefined();
      expect(service.privileged, name).toBeUndefined();
      expect(service.cap_add, name).toBeUndefined();
    }
  });
});
