import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from './db';

/**
 * What every implementation of the {@link Sql} seam must do, run against PGlite (`db.int.test.ts`)
 * and PostgreSQL (`postgres.int.test.ts`). `open` gives a fresh handle; `extra` adds the cases only
 * one implementation has (pooling, closing). Import from test files only: this module loads vitest.
 */
export function describeSqlSeam(name: string, open: () => Promise<Sql>, extra?: (sql: () => Sql) => void): void {
  describe(`the ${name} Sql seam`, () => {
    let sql: Sql;
    beforeAll(async () => {
      sql = await open();
    });
    afterAll(async () => {
      await sql?.close();
    });
    beforeEach(async () => {
      await sql.exec('DROP TABLE IF EXISTS t; CREATE TABLE t (k text PRIMARY KEY, v int)');
    });
    const keys = async (): Promise<string[]> => (await sql.query<{ k: string }>('SELECT k FROM t ORDER BY k')).map((r) => r.k);

    it('binds parameters as values, never as SQL', async () => {
      const evil = "x'); DROP TABLE t; --";
      await sql.query('INSERT INTO t (k, v) VALUES ($1, $2)', [evil, 1]);
      expect(await sql.query('SELECT k, v FROM t WHERE k = $1', [evil])).toEqual([{ k: evil, v: 1 }]);
    });

    it('commits a transaction whose function resolves, on one connection', async () => {
      const result = await sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['a']);
        // Uncommitted rows are visible inside: every statement runs on the transaction's connection.
        const [row] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM t');
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['b']);
        return row!.n;
      });
      expect(result).toBe(1);
      expect(await keys()).toEqual(['a', 'b']);
    });

    it('rolls back a transaction whose function throws, and rethrows', async () => {
      await expect(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO t (k) VALUES ($1)', ['a']);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await keys()).toEqual([]);
    });

    it("rolls back a failed statement's transaction (the database error surfaces with its SQLSTATE)", async () => {
      await expect(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO t (k) VALUES ($1)', ['a']);
          await tx.query('INSERT INTO t (k) VALUES ($1)', ['a']);
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(await keys()).toEqual([]);
    });

    it('nests transactions as savepoints: an inner failure undoes only the inner work', async () => {
      await sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['outer']);
        await expect(
          tx.transaction(async (inner) => {
            await inner.query('INSERT INTO t (k) VALUES ($1)', ['inner']);
            throw new Error('inner failed');
          }),
        ).rejects.toThrow('inner failed');
        await tx.transaction(async (inner) => {
          await inner.query('INSERT INTO t (k) VALUES ($1)', ['inner2']);
        });
      });
      expect(await keys()).toEqual(['inner2', 'outer']);
    });

    it('runs several statements with exec', async () => {
      await sql.exec("INSERT INTO t (k) VALUES ('a'); INSERT INTO t (k) VALUES ('b');");
      expect(await keys()).toEqual(['a', 'b']);
    });

    it('refuses close() on a transaction handle', async () => {
      await sql.transaction(async (tx) => {
        await expect(tx.close()).rejects.toThrow(/transaction handle/);
      });
    });

    it('close is idempotent and later queries fail', async () => {
      const other = await open();
      await other.close();
      await other.close();
      await expect(other.query('SELECT 1')).rejects.toThrow();
    });

    extra?.(() => sql);
  });
}
