import { describe, expect, it } from 'vitest';
import pg from 'pg';

describe('test database', () => {
  it('is a reachable PostgreSQL with date_bin', async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT date_bin('5 minutes', timestamptz '2026-01-01 00:07:00+00', timestamptz 'epoch') AS b",
      );
      expect((rows[0].b as Date).toISOString()).toBe('2026-01-01T00:05:00.000Z');
    } finally {
      await client.end();
    }
  });
});
