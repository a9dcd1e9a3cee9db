import { PGlite } from '@electric-sql/pglite';
import { pgliteSql } from './db';
import { describeSqlSeam } from './sql-seam.contract';

describeSqlSeam('PGlite', async () => pgliteSql(await PGlite.create()));
