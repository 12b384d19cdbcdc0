// The baseline every figure is compared with: a bare Fastify route returning a constant small JSON, on
// the same Node, with the registry's own logger settings (createLogger at the same level).
import Fastify from 'fastify';
import { createLogger } from '../src/app/start.js';

const level = (process.argv[2] ?? 'warn') as Parameters<typeof createLogger>[0];
const app = Fastify({ loggerInstance: createLogger(level) });
app.get('/baseline', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
console.log(`baseline listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
