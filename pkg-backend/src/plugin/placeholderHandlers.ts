/**
 * Stand-in PluginHandlers used until the query layer (pkg-backend/src/query/handlers.ts) is wired in
 * wiring.ts. It proves the plumbing end to end: health really connects to Postgres; queries say plainly
 * that nothing answers them yet.
 */
import { queryError, type CreateHandlers, type DataResponseOut } from './handlers.ts';

export const createPlaceholderHandlers: CreateHandlers = () => ({
  async queryData(_ctx, queries) {
    const out = new Map<string, DataResponseOut>();
    for (const q of queries) out.set(q.refId, queryError('query layer not wired: this build of the Rarity backend cannot answer queries yet', 501, 'plugin'));
    return out;
  },
  async checkHealth(ctx) {
    try {
      const result = await ctx.instance.pool.query<{ version: string }>('select version() as version');
      return { status: 'OK', message: `Connected to PostgreSQL; the query layer is not wired yet (${result.rows[0]?.version.split(' on ')[0] ?? 'unknown version'})` };
    } catch (err) {
      return { status: 'ERROR', message: `Cannot connect to PostgreSQL: ${(err as Error).message}`, details: { verboseMessage: (err as Error).message } };
    }
  },
  async callResource(_ctx, req) {
    if (req.path === 'ping' || req.path === '/ping') return { status: 200, body: { ok: true } };
    return { status: 404, body: { message: `no resource "${req.path}" (query layer not wired)` } };
  },
});
