// The HTTP suites of the directory, proof flow, ledger and audit, run unchanged on PostgreSQL: with
// ENIGMA_TEST_STORAGE=postgres, startTestRegistry's default store is a fresh schema (see
// test/helpers/registry.ts). Suites that pin `storage: memory` run as they are; titles naming the
// "sqlite store" are that default's variant, here on PostgreSQL. test/circuits/registry.test.ts is not
// run here: one of its tests inspects the SQLite backend's artifact files on disk.
import { test } from 'node:test';
import { postgresSkip } from '../helpers/services.js';

const skip = await postgresSkip();
if (skip) {
  test('directory, proof, ledger and audit suites on PostgreSQL', { skip }, () => undefined);
} else {
  process.env.ENIGMA_TEST_STORAGE = 'postgres';
  await import('../directory/api.test.js');
  await import('../directory/peers.test.js');
  await import('../proof/flow.test.js');
  await import('../ledger/ledger.test.js');
  await import('../ledger/audit.test.js');
}
