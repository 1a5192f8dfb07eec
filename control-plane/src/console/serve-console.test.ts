import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConsole } from './serve-console';

/** A control plane's HTTP layer with only the console and a stand-in API route, over a given build. */
async function serverFor(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.post('/trpc/:path', async () => ({ result: 'api' }));
  app.get('/healthz', async () => ({ ok: true }));
  await serveConsole(app, distDir);
  return app;
}

describe('the control plane serves the built console', () => {
  let parent: string;
  let dist: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-console-'));
    dist = path.join(parent, 'dist');
    await fs.mkdir(path.join(dist, 'assets'), { recursive: true });
    // Beside the build, like the repository's other files beside console/dist.
    await fs.writeFile(path.join(parent, 'secret.txt'), 'not for the browser');
    await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    await fs.writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("console")');
    app = await serverFor(dist);
  });
  afterAll(async () => {
    await app.close();
    await fs.rm(parent, { recursive: true, force: true });
  });

  it('answers the root and every page path with index.html, never cached, with a CSP', async () => {
    for (const url of ['/', '/t/acme/modules', '/t/acme/audit?x=1']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain('<div id="root"></div>');
      expect(response.headers['content-type'], url).toContain('text/html');
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.headers['content-security-policy'], url).toContain("default-src 'self'");
    }
  });

  it('serves hashed assets as immutable, and a missing asset is a 404, not the page', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const missing = await app.inject({ method: 'GET', url: '/assets/index-gone.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).not.toContain('id="root"');
  });

  it('leaves the API paths alone: their routes answer, unknown ones are plain 404s', async () => {
    expect((await app.inject({ method: 'POST', url: '/trpc/modules.list' })).json()).toEqual({
      result: 'api',
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    for (const url of ['/trpc/nope', '/ofrep/v1/evaluate/flags', '/healthz/deep']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toContain('application/json');
    }
    expect((await app.inject({ method: 'POST', url: '/t/acme/modules' })).statusCode).toBe(404);
  });

  it('never serves files outside the build', async () => {
    for (const url of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('not for the browser');
    }
  });

  it('says how to build the console when it is not built', async () => {
    const unbuilt = await serverFor(path.join(dist, 'not-built'));
    try {
      const response = await unbuilt.inject({ method: 'GET', url: '/t/acme/modules' });
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain('npm run build -w console');
      expect((await unbuilt.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await unbuilt.close();
    }
  });
});
