// Jest setupFilesAfterEnv: at the end of each test file, drop the PostgreSQL databases its
// gateways were given (test/support/store.ts). Nothing to do on SQLite.
import { dropFreshStores } from './store';

afterAll(async () => {
  await dropFreshStores();
}, 60000);
