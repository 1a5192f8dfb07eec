/**
 * Serves the built console (`console/dist`, see `console/ensure-built.ts`) from the control
 * plane: hashed assets with long caching, and index.html for every other page path so the
 * console's own routes (`/t/acme/audit`) survive a reload. The API paths keep their answers.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_DIST_DIR = path.resolve(import.meta.dirname, '../../../console/dist');

/** Never answered with the console: unknown paths under them stay plain 404s. */
const API_PREFIXES = ['/trpc', '/ofrep', '/healthz'];

/** The console talks only to its own origin; React Flow positions nodes with inline styles. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reliability Center</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The console is not built</h1>
<p>This control plane serves the console from <code>console/dist</code>, which does not exist yet.
Build it with <code>npm run build -w console</code> (<code>npm start</code> does it for you), then reload.</p>
<p>The API is up: <code>/trpc</code>, <code>/ofrep</code>, <code>/healthz</code>.</p>
</body></html>
`;

function isApiPath(url: string): boolean {
  return API_PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
}

export async function serveConsole(app: FastifyInstance, distDir: string = CONSOLE_DIST_DIR): Promise<void> {
  await app.register(fastifyStatic, {
    root: distDir,
    // `/` and page paths are answered below, with index.html and its headers.
    index: false,
    // Set below, per file.
    cacheControl: false,
    setHeaders(reply, filePath) {
      // Vite names assets by content hash: they never change under the same name.
      const asset = filePath.startsWith(path.join(distDir, 'assets') + path.sep);
      reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
    },
  });

  /** index.html, or a page saying how to build it; never cached, so a new build shows at once. */
  const sendIndex = (reply: FastifyReply) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin');
    if (!existsSync(path.join(distDir, 'index.html'))) {
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(NOT_BUILT_PAGE);
    }
    return reply.sendFile('index.html');
  };

  app.get('/', (_request, reply) => sendIndex(reply));
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/';
    const isPage =
      (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(url) && !path.extname(url);
    if (isPage) return sendIndex(reply);
    // What fastify answers by default.
    return reply
      .code(404)
      .send({ message: `Route ${request.method}:${url} not found`, error: 'Not Found', statusCode: 404 });
  });
}
