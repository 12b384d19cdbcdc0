// The proof gateway: challenge, validate (burn, verdict, receipt) and the CLI proxy, each step in the audit trail.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { manifestOf, revokedError, type CircuitCatalog } from '../circuits/catalog.js';
import type { ApiEndpoint } from '../circuits/limits.js';
import type { SealingKeys } from '../circuits/sealing-keys.js';
import { ApiError, invalidInput } from '../errors.js';
import { validateResponse, type CircuitRunner } from '../executor/validate.js';
import type { Artifact } from '../executor/types.js';
import { firstPowHeader, type PowGate } from '../guard/pow.js';
import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.js';
import type { Config } from '../config/schema.js';
import { ledgerById, pickLedger, type LedgerChoices } from '../ledger/pick.js';
import { burnRefused } from '../ledger/refusals.js';
import { proofInput } from '../client/wire-proof.js';
import type { AuditEntry } from '../storage/audit.js';
import type { TauBinder } from './binding.js';
import type { GuessBudget } from './guess-budget.js';
import type { ReceiptSigner } from './receipts.js';

/** What the gateway reads from the registry: the config, the ledgers, the audit trail and a logger. */
export interface GatewayContext extends LedgerChoices {
  config: Config;
  audit: Audit;
  log: Pick<Logger, 'error'>;
}

export interface GatewayDeps {
  ctx: GatewayContext;
  catalog: CircuitCatalog;
  executor: CircuitRunner;
  binder: TauBinder;
  receipts: ReceiptSigner;
  sealingKeys: SealingKeys;
  limit: (req: FastifyRequest, endpoint: ApiEndpoint, handle: string) => Promise<void>;
  budget: GuessBudget;
  /** Issues and checks the proof of work a challenge costs while a handle sees failures. */
  pow: PowGate;
}

export interface ValidateRequest {
  kind: string;
  nonce_uuid: string;
  payload: { tau: string; bearings: string[]; proof_hash: string };
}

export interface ExecRequest {
  command: string;
  args: string[];
  flags: Record<string, string | number | boolean>;
  input?: unknown;
}

/** The command a client may never run through the CLI proxy: it needs the sealed secret. */
const VALIDATE_COMMAND = 'validate-response';

const encoder = new TextEncoder();

/**
 * The three-call proof flow (challenge → ceremony → validate) and the CLI proxy. Stateless: a challenge
 * lives in the ledger entry and in the MAC'd tau the client echoes back (binding.ts).
 */
export class ProofGateway {
  constructor(private readonly deps: GatewayDeps) {}

  private async audit(req: FastifyRequest, e: Omit<AuditEntry, 'at' | 'actor'>): Promise<void> {
    const { audit, log } = this.deps.ctx;
    try {
      await audit.append({ at: Date.now(), actor: audit.actor(req.ip), ...e });
    } catch (err) {
      log.error({ err }, 'audit append failed');
    }
  }

  /** Runs `step`, recording its outcome (error code, lower-cased, on failure) in the audit trail. */
  private async audited<T>(
    req: FastifyRequest,
    base: Omit<AuditEntry, 'at' | 'actor' | 'outcome'>,
    step: (note: Partial<AuditEntry>) => Promise<T>,
  ): Promise<T> {
    const note: Partial<AuditEntry> = {};
    try {
      const r = await step(note);
      await this.audit(req, { ...base, ...note, outcome: 'ok' });
      return r;
    } catch (e) {
      const outcome = e instanceof ApiError ? e.code.toLowerCase() : 'internal';
      await this.audit(req, {
        ...base,
        ...note,
        outcome,
        ...(e instanceof Error && { detail: e.message.slice(0, 200) }),
      });
      throw e;
    }
  }

  /**
   * Refuses a client locked out of the handle, or one with recent failures once the handle's budget is
   * spent (429), and, while the handle sees failures, a challenge without the proof of work it now costs:
   * 400 POW_REQUIRED whose details carry a fresh PoW challenge at the required difficulty.
   */
  private async admitChallenge(req: FastifyRequest, handle: string): Promise<void> {
    const state = await this.deps.budget.read(handle, req.ip);
    this.deps.budget.admit(state);
    const difficulty = this.deps.budget.difficulty(state);
    if (difficulty === 0) return;
    try {
      await this.deps.pow.verify(firstPowHeader(req.raw), difficulty);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const pow = await this.deps.pow.issue(difficulty);
      throw new ApiError(
        'POW_REQUIRED',
        `${e.message}; solve details.pow and resend the challenge request with x-enigma-pow: <challenge>:<solution>`,
        {
          reason: 'failures_at_handle',
          pow,
        },
      );
    }
  }

  /**
   * Runs a circuit command whose output must be one JSON value, and returns that output as it was printed.
   * It is parsed only to check it: the reply splices the text in (see proof/routes.ts), so a circuit's
   * output is never parsed into objects and serialized again (~40 µs for a sixzone challenge).
   */
  private async runJson(artifact: Artifact, command: string, input: unknown): Promise<string> {
    const r = await this.deps.executor.run(artifact, command, [], encoder.encode(JSON.stringify(input)));
    if (r.exit_code !== 0 || r.timed_out || r.error !== undefined) {
      throw new ApiError(
        'INTERNAL',
        `circuit ${command} failed (${r.timed_out ? 'timed out' : (r.error ?? `exit ${r.exit_code}`)})`,
      );
    }
    try {
      JSON.parse(r.stdout);
    } catch {
      throw new ApiError('INTERNAL', `circuit ${command} printed no JSON`);
    }
    return r.stdout;
  }

  async challenge(req: FastifyRequest, handle: string) {
    // Budgets, lockout and proof of work first and unaudited: a flood of refused requests costs no store writes.
    await this.deps.limit(req, 'challenge', handle);
    await this.admitChallenge(req, handle);
    return this.audited(req, { step: 'challenge', handle }, async (note) => {
      // The ledger is chosen first: a URL off the allow-list is refused before anything else happens.
      const picked = pickLedger(this.deps.ctx, req.headers['x-eni6ma-ledger-url']);
      const build = await this.deps.catalog.usableBuild(handle);
      note.sha256 = build.sha256;
      const artifact = await this.deps.catalog.artifact(build);
      const r = await picked.ledger.reserve();
      note.nonce = r.uuid;
      const tau = this.deps.binder.seal({
        nonce_uuid: r.uuid,
        ledger_tau: r.tau,
        ledger: picked.id,
        handle,
        build_id: build.build_id,
        sha256: build.sha256,
      });
      const challengeJson = await this.runJson(artifact, 'challenge', {
        nonce_uuid: r.uuid,
        tau,
        seed: this.deps.binder.seed(r.uuid, tau, build.sha256),
      });
      return {
        nonce_uuid: r.uuid,
        tau,
        expires_at: new Date(r.expires_at).toISOString(),
        circuit: { handle, build_id: build.build_id, sha256: build.sha256 },
        /** The circuit's `challenge` output: one JSON value, as text. */
        challengeJson,
      };
    });
  }

  /**
   * Body checks (tau MAC and binding, proof_hash) → revocation → lockout and guessing budget → burn at the
   * bound ledger → the guess is counted → verify in the executor → receipt. Nothing before the burn consumes the nonce, so a malformed or
   * tampered request leaves it usable; everything after the burn is one attempt.
   */
  async validate(req: FastifyRequest, handle: string, body: ValidateRequest) {
    await this.deps.limit(req, 'validate', handle);
    return this.audited(req, { step: 'validate', handle, nonce: body.nonce_uuid.toLowerCase() }, async (note) => {
      const { tau, bearings, proof_hash } = body.payload;
      const b = this.deps.binder.open(tau);
      if (!b || b.nonce_uuid.toLowerCase() !== body.nonce_uuid.toLowerCase() || b.handle !== handle)
        throw new ApiError('TAU_MISMATCH', 'tau does not belong to this nonce and circuit (or was altered)');
      note.sha256 = b.sha256;
      // The SDK's proofHash over the same proofInput; node:crypto here (~1 µs against ~10 in JS).
      const expected = createHash('sha256')
        .update(proofInput(b.nonce_uuid, tau, bearings))
        .digest();
      if (!timingSafeEqual(expected, Buffer.from(proof_hash, 'hex')))
        throw invalidInput('proof_hash does not match SHA-256(nonce_uuid|tau|bearings)', {
          field: 'payload.proof_hash',
        });
      const build = await this.deps.catalog.build(handle, b.build_id);
      if (build.revoked) throw revokedError(build);
      const { ledger } = ledgerById(this.deps.ctx, b.ledger);

      // Refused before the burn when already locked out or over budget, so the nonce stays usable.
      this.deps.budget.admit(await this.deps.budget.read(handle, req.ip));
      const burn = await ledger.burn(b.nonce_uuid, b.ledger_tau);
      if (!burn.ok) throw burnRefused(burn.reason);
      // Counted (and checked again) once the nonce is ours, before the verdict: concurrent answers from one
      // client see each other; settled with the verdict (refunded unless the answer is wrong).
      const counted = await this.deps.budget.begin(handle, req.ip);
      let wrong = false;
      try {
        const artifact = await this.deps.catalog.artifact(build);
        const seed = this.deps.binder.seed(b.nonce_uuid, tau, build.sha256);
        const input = {
          handle,
          build_id: build.build_id,
          nonce_uuid: b.nonce_uuid,
          tau,
          seed,
          payload: { kind: body.kind, bearings },
        };
        wrong = !(await validateResponse(this.deps.executor, artifact, input, this.deps.sealingKeys.keys)).valid;
      } finally {
        await this.deps.budget.settle(handle, req.ip, wrong);
      }
      if (wrong) {
        throw new ApiError('PROOF_REJECTED', 'the response does not prove knowledge of the secret', {
          locked_out: this.deps.budget.lockedOut(counted),
          lockout_after: this.deps.ctx.config.proof.lockout_after,
        });
      }
      const issuer = this.deps.ctx.config.proof.issuer ?? `${req.protocol}://${req.host}`;
      const receipt = await this.deps.receipts.sign(issuer, {
        handle,
        build_id: build.build_id,
        sha256: build.sha256,
        nonce_uuid: b.nonce_uuid,
      });
      return { validated: true as const, receipt };
    });
  }

  /** Runs a command the current build's manifest lists; `validate-response` is never proxied (it needs the secret). */
  async cli(req: FastifyRequest, handle: string, command: string, body: ExecRequest) {
    await this.deps.limit(req, 'cli', handle);
    return this.audited(req, { step: 'cli', handle, detail: command }, async (note) => {
      if (body.command !== command) throw invalidInput('body.command must equal the {command} path segment');
      if (command === VALIDATE_COMMAND)
        throw new ApiError('FORBIDDEN', `${VALIDATE_COMMAND} runs only through POST /api/circuits/{handle}/validate`);
      const build = await this.deps.catalog.build(handle);
      note.sha256 = build.sha256;
      if (build.revoked) throw revokedError(build);
      const commands = manifestOf(build).commands;
      if (!commands.includes(command))
        throw new ApiError('FORBIDDEN', `circuit ${handle} does not offer command ${JSON.stringify(command)}`, {
          commands,
        });
      const flags = Object.entries(body.flags).flatMap(([k, v]) =>
        v === false ? [] : [v === true ? `--${k}` : `--${k}=${String(v)}`],
      );
      const artifact = await this.deps.catalog.artifact(build);
      const r = await this.deps.executor.run(
        artifact,
        command,
        [...body.args, ...flags],
        encoder.encode(JSON.stringify(body.input ?? {})),
      );
      return {
        exit_code: r.exit_code,
        stdout: r.stdout,
        stderr: r.stderr,
        duration_ms: r.duration_ms,
        timed_out: r.timed_out,
      };
    });
  }
}
