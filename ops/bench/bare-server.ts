/**
 * The baselines of `npm run bench:api`: the same SQL as `modules.list`, with a plain `pg` pool
 * connected as the database owner, served two ways. No auth, no RLS, no ORM, no tracing.
 *   GET /modules?tenant=<uuid>        a bare fastify route: what the query and HTTP alone cost;
 *   GET /trpc/modules.list?input=…    the same query behind the tRPC fastify adapter (header
 *                                     x-bench-tenant: <uuid>): what the transport the stack
 *                                     prescribes costs before any of our code runs.
 *
 * Env: DATABASE_URL (owner), PORT, POOL_MAX (default 10). Listens on 127.0.0.1 only.
 */
import { ListModulesInput } from '@rc/contracts';
import { initTRPC, TRPCError } from '@trpc/server';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyRequest } from 'fastify';
import pg from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BARE_SQL = "select * from modules where tenant_id = $1 and status = 'active' order by name";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const port = Number(process.env.PORT ?? 0);
const poolMax = Number(process.env.POOL_MAX ?? 10);

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
const app = Fastify({ logger: false });

app.get<{ Querystring: { tenant?: string } }>('/modules', async (request, reply) => {
  const tenant = request.query.tenant;
  if (!tenant || !UUID.test(tenant))
    return reply.code(400).send({ error: 'query parameter tenant (uuid) required' });
  const { rows } = await pool.query(BARE_SQL, [tenant]);
  return rows;
});
app.get('/healthz', async () => ({ ok: true }));

const t = initTRPC.context<{ tenant: string | undefined }>().create();
const router = t.router({
  'modules.list': t.procedure.input(ListModulesInput).query(async ({ ctx }) => {
    if (!ctx.tenant || !UUID.test(ctx.tenant))
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'header x-bench-tenant (uuid) required' });
    const { rows } = await pool.query(BARE_SQL, [ctx.tenant]);
    return rows;
  }),
});
await app.register(fastifyTRPCPlugin, {
  prefix: '/trpc',
  trpcOptions: {
    router,
    createContext: ({ req }: { req: FastifyRequest }) => {
      const header = req.headers['x-bench-tenant'];
      return { tenant: typeof header === 'string' ? header : undefined };
    },
  },
});

const address = await app.listen({ host: '127.0.0.1', port });
console.log(`bare server listening on ${address} (pg pool max ${poolMax})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await app.close();
      await pool.end();
      process.exit(0);
    })();
  });
}
