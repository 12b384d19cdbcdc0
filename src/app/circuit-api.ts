// The circuit registry and proof gateway assembled from the context: catalog, executor, guess budget, gateway.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { adminCircuitRoutes } from '../circuits/admin-routes.js';
import { CircuitCatalog } from '../circuits/catalog.js';
import { demoPublisher, seedDemoCircuit } from '../circuits/demo.js';
import { DEMO_SECRET } from '../client/demo.js';
import { apiLimiter } from '../circuits/limits.js';
import { circuitRoutes } from '../circuits/routes.js';
import { SealingKeys } from '../circuits/sealing-keys.js';
import { configuredOrGenerated } from '../config/state.js';
import { Executor } from '../executor/index.js';
import { MemoryFailureMeter } from '../guard/failure-meter.js';
import { MemoryPowStore, PowGate } from '../guard/pow.js';
import { RedisFailureMeter } from '../guard/redis-failure-meter.js';
import { RedisPowStore } from '../guard/redis-pow.js';
import { TauBinder } from '../proof/binding.js';
import { ProofGateway } from '../proof/gateway.js';
import { GuessBudget } from '../proof/guess-budget.js';
import { ReceiptSigner } from '../proof/receipts.js';
import { proofRoutes } from '../proof/routes.js';
import type { RegistryContext } from './context.js';

/** The seed secret: `proof.seed_secret_hex`, or one generated into state_dir on first run and kept. */
function seedSecret(ctx: RegistryContext): Uint8Array {
  const { seed_secret_hex } = configuredOrGenerated(
    ctx.config.proof.seed_secret_hex === undefined ? undefined : { seed_secret_hex: ctx.config.proof.seed_secret_hex },
    {
      stateDir: ctx.config.state_dir,
      name: 'proof-seed',
      what: 'proof.seed_secret_hex',
      noun: 'a seed secret',
      log: ctx.log,
      generate: () => ({ seed_secret_hex: randomBytes(32).toString('hex') }),
    },
  );
  return Buffer.from(seed_secret_hex, 'hex');
}

/** The circuit registry and proof gateway (`/api/...`, `/.well-known/jwks.json`) as one plugin. */
export const circuitApi: FastifyPluginAsync<{ ctx: RegistryContext }> = async (app, { ctx }) => {
  const { config, store } = ctx;
  // The local demo signs its circuit with its own key: trusted (for publish and /verify) only while it is on.
  const demo = config.demo.enabled ? demoPublisher(config) : undefined;
  const publisherKeys = [...config.circuits.publisher_public_keys_hex, ...(demo ? [demo.publicHex] : [])];
  const catalog = new CircuitCatalog(
    store.circuits,
    store.artifacts,
    { ...config, circuits: { ...config.circuits, publisher_public_keys_hex: publisherKeys } },
    store.catalogChanges(),
  );
  const sealingKeys = new SealingKeys(config, ctx.log);
  const receipts = new ReceiptSigner(config, ctx.log);
  const bareExecutor = new Executor(config.executor, ctx.log);
  const executor = ctx.metrics ? ctx.metrics.executor(bareExecutor) : bareExecutor;
  app.addHook('onClose', () => executor.close());
  const limit = apiLimiter(ctx.limiter, config);
  // Failure counters and the proof's PoW challenges live where the rate limits do: Redis shares them across replicas.
  const meter = ctx.redis ? new RedisFailureMeter(ctx.redis) : new MemoryFailureMeter(config.rate_limit.max_entries);
  const powStore = ctx.redis
    ? new RedisPowStore(ctx.redis, 'proof-pow:')
    : new MemoryPowStore(config.pow.max_outstanding, ctx.clock);
  const budget = new GuessBudget(meter, config, ctx.clock);
  const pow = new PowGate(powStore, config.proof.pow_min_difficulty, config.pow.ttl_seconds, ctx.clock);
  const gateway = new ProofGateway({
    ctx,
    catalog,
    executor,
    binder: new TauBinder(seedSecret(ctx)),
    receipts,
    sealingKeys,
    limit,
    budget,
    pow,
  });

  if (demo) {
    const b = await seedDemoCircuit({ catalog, sealingKeys, publisher: demo, log: ctx.log });
    if (b)
      ctx.log.warn(
        { handle: b.handle, secret: DEMO_SECRET.symbols, build_id: b.build_id },
        'LOCAL DEMO: circuit "demo" is published with a public secret; never enable [demo] on a shared registry',
      );
  }

  await app.register(circuitRoutes, { catalog, artifacts: store.artifacts, sealingKeys, publisherKeys, limit });
  await app.register(adminCircuitRoutes, { ctx, catalog });
  await app.register(proofRoutes, { gateway, receipts });
};
