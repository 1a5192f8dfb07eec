import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHealthUrl } from './activities';

/**
 * The breaker's health probe against a real local HTTP server: only a 2xx within the timeout
 * passes; a failing probe is an answer (never an exception); redirects and non-HTTP URLs are not followed.
 */
let server: http.Server;
let base: string;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    switch (req.url) {
      case '/ok':
        res.writeHead(200).end('ok');
        return;
      case '/no-content':
        res.writeHead(204).end();
        return;
      case '/down':
        res.writeHead(503).end('maintenance');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/hang':
        return; // never answers
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('health probe', () => {
  it('passes on 2xx', async () => {
    expect(await probeHealthUrl(`${base}/ok`)).toMatchObject({ ok: true, status: 200, error: null });
    expect(await probeHealthUrl(`${base}/no-content`)).toMatchObject({ ok: true, status: 204 });
  });

  it('fails on 5xx and 4xx, with the status', async () => {
    expect(await probeHealthUrl(`${base}/down`)).toMatchObject({ ok: false, status: 503, error: 'HTTP 503' });
    expect(await probeHealthUrl(`${base}/missing`)).toMatchObject({ ok: false, status: 404 });
  });

  it('does not follow a redirect: a 3xx fails and its target is never requested', async () => {
    hits.length = 0;
    expect(await probeHealthUrl(`${base}/redirect`)).toMatchObject({ ok: false, status: 302 });
    expect(hits).toEqual(['/redirect']);
  });

  it('fails when the integration does not answer within the timeout', async () => {
    const started = Date.now();
    const result = await probeHealthUrl(`${base}/hang`, 300);
    expect(result).toMatchObject({ ok: false, status: null, error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probeHealthUrl(`http://127.0.0.1:${port}/health`)).toMatchObject({
      ok: false,
      status: null,
      error: 'ECONNREFUSED',
    });
  });

  it('refuses anything but http and https without making a request', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/health', 'data:text/plain,ok', 'not a url']) {
      const result = await probeHealthUrl(url);
      expect(result.ok, url).toBe(false);
      expect(result.status, url).toBeNull();
    }
    expect((await probeHealthUrl('file:///etc/passwd')).error).toContain('file:');
  });
});
