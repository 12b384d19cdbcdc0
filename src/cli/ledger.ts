// `enigma-registry ledger`: serves the nonce ledger alone as an HTTP service on the config's storage.
import { startLedgerService } from '../ledger/service.js';
import { runService } from './service.js';

const USAGE = `usage: enigma-registry ledger --config FILE

Serves the nonce ledger alone (POST /reserve, POST /response, GET /status/{uuid}, GET /events, GET /health)
at ledger.address, on the config's [storage]. A registry uses it with ledger.url = "http://ADDRESS".`;

export function main(args: string[]): Promise<number> {
  return runService(
    { usage: USAGE, name: 'enigma-registry ledger', start: (config, log) => startLedgerService(config, log) },
    args,
  );
}
