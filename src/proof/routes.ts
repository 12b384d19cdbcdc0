// The proof routes: challenge, validate, the CLI proxy and the receipt JWKS at /.well-known/jwks.json.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { HandleParams } from '../circuits/schemas.js';
import { ErrorBodySchema } from '../errors.js';
import type { ProofGateway } from './gateway.js';
import type { ReceiptSigner } from './receipts.js';
import { ChallengeReply, ExecReply, ExecRequest, Jwks, ValidateBody, ValidateReply } from '../client/wire-proof.js';

const tags = ['proof'];
const E = ErrorBodySchema;

/**
 * The challenge reply as JSON text, with the circuit's challenge spliced in as the circuit printed it (the
 * gateway checked that it parses). Fastify sends a string with a JSON content type as it is; the 200 schema
 * still documents the shape (OpenAPI), and test/server/challenge-body.test.ts checks replies against it.
 */
function challengeBody({ challengeJson, ...fields }: ChallengeResult): Static<typeof ChallengeReply> {
  return `${JSON.stringify(fields).slice(0, -1)},"challenge":${challengeJson}}` as unknown as Static<
    typeof ChallengeReply
  >;
}
type ChallengeResult = Awaited<ReturnType<ProofGateway['challenge']>>;

/** Challenge, validate, CLI proxy and the receipt JWKS. */
export const proofRoutes: FastifyPluginAsync<{ gateway: ProofGateway; receipts: ReceiptSigner }> = async (
  fastify,
  { gateway, receipts },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/circuits/:handle/challenge',
    {
      schema: {
        tags,
        summary: "Reserve a nonce and get the current build's challenge",
        description:
          'Optional header `x-eni6ma-ledger-url` picks the ledger that reserves the nonce; only URLs in ledger.allowed_urls are accepted (400 otherwise, and no request leaves the registry). ' +
          'The ledger and build are bound into `tau` (MAC), so validate burns at that ledger whatever it is sent. A revoked build is 403 FORBIDDEN. ' +
          "A client locked out of this handle, or one with recent failures here once the handle's guessing budget is spent, gets 429 (details.reason `locked_out` or `guess_budget`). " +
          'While the handle sees wrong answers, a challenge costs proof of work: without a valid `x-enigma-pow` header the answer is 400 POW_REQUIRED whose `details.pow` is a ' +
          'fresh `{challenge, difficulty, expires_ms}`; resend with `x-enigma-pow: <challenge>:<solution>` (SHA-256(challenge ‖ solution) with `difficulty` leading zero bits).',
        params: HandleParams,
        // No body or `{}`. Fastify validates a missing body as null; a JSON `null` body never gets here (JSON bodies are objects).
        body: Type.Unsafe<Record<string, never> | null>({
          type: 'object',
          nullable: true,
          maxProperties: 0,
          description: 'none, or an empty object',
        }),
        headers: Type.Object({
          'x-eni6ma-ledger-url': Type.Optional(
            Type.String({ description: 'ledger to reserve the nonce at (allow-listed)' }),
          ),
          'x-enigma-pow': Type.Optional(
            Type.String({
              description: '<challenge>:<solution> for the proof of work a POW_REQUIRED answer asked for',
            }),
          ),
        }),
        response: { 200: ChallengeReply, 400: E, 403: E, 404: E, 429: E, 502: E },
      },
    },
    async (req, reply) =>
      reply.type('application/json').send(challengeBody(await gateway.challenge(req, req.params.handle))),
  );

  app.post(
    '/api/circuits/:handle/validate',
    {
      schema: {
        tags,
        summary: 'Validate a response; burns the nonce, returns a signed receipt',
        description:
          'Order: body checks (tau binding → 400 TAU_MISMATCH, proof_hash → 400 INVALID_INPUT; the nonce is not burnt) → revoked build (403 FORBIDDEN) → lockout and guessing budget (429) → ' +
          'burn at the ledger bound in tau (409 REPLAY, 410 EXPIRED, 404 unknown nonce) → verification in the sandbox. A wrong response is 403 PROOF_REJECTED and counts toward the ' +
          'guessing limits: proof.lockout_after wrong responses from one client lock that client (only) out of the handle, each counting for proof.lockout_seconds (429 RATE_LIMITED, Retry-After); ' +
          'beyond proof.guesses_per_hour wrong responses an hour at the handle, only clients without a recent failure there are served. ' +
          '`proof_hash` = hex SHA-256 of the UTF-8 string `nonce_uuid|tau|b1,b2,...`. The receipt is an EdDSA JWS: iss, sub (handle), circuit_sha256, build_id, nonce, jti, iat, exp; kid in the header.',
        params: HandleParams,
        body: ValidateBody,
        response: { 200: ValidateReply, 400: E, 403: E, 404: E, 409: E, 410: E, 429: E, 502: E },
      },
    },
    async (req) => gateway.validate(req, req.params.handle, req.body),
  );

  app.post(
    '/api/circuits/:handle/cli/:command',
    {
      schema: {
        tags,
        summary: "Run one of the current build's commands in the sandbox",
        description:
          'Only commands the manifest lists (403 otherwise); `validate-response` is never proxied (it needs the sealed secret, which the proxy never has). ' +
          'A command containing "/" is sent URL-encoded in the path (e.g. `ledger%2Fstatus`). stdin is `input` as JSON.',
        params: Type.Object({
          handle: HandleParams.properties.handle,
          command: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        body: ExecRequest,
        response: { 200: ExecReply, 400: E, 403: E, 404: E, 429: E },
      },
    },
    async (req) => gateway.cli(req, req.params.handle, req.params.command, req.body),
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags, summary: 'Public keys that verify receipts (EdDSA, Ed25519)', response: { 200: Jwks } } },
    async () => receipts.jwks(),
  );
};
