// Wire schemas of the nonce ledger service, shared by its routes and by HttpLedger, which checks answers with them.
import { Type } from 'typebox';

export const NonceUuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'nonce uuid',
});
export const Tau = Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'tau: 32 hex characters' });

export const ReserveBody = (maxTtlSeconds: number) =>
  Type.Object(
    {
      ttl: Type.Optional(
        Type.Integer({ minimum: 1, maximum: maxTtlSeconds, description: 'seconds; default ledger.ttl_seconds' }),
      ),
    },
    { additionalProperties: false },
  );

export const ReservationReply = Type.Object({
  uuid: NonceUuid,
  tau: Tau,
  ttl: Type.Integer({ minimum: 1 }),
  expires_at: Type.Integer({ description: 'epoch ms' }),
});

export const ResponseBody = Type.Object(
  {
    uuid: NonceUuid,
    tau: Tau,
    /** Accepted for compatibility with ENI6MA ledger clients; never stored or logged. */
    payload: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const SpentReply = Type.Object({ uuid: NonceUuid, state: Type.Literal('SPENT') });

export const StatusParams = Type.Object({ uuid: NonceUuid });

export const StatusReply = Type.Object({
  uuid: NonceUuid,
  state: Type.Union([Type.Literal('RESERVED'), Type.Literal('SPENT'), Type.Literal('EXPIRED')]),
  expires_at: Type.Integer(),
  spent_at: Type.Optional(Type.Integer()),
});

export const EventsQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'return events with seq > after' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

export const EventsReply = Type.Object({
  events: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Type.Integer(),
      uuid: Type.String(),
      type: Type.Union([
        Type.Literal('reserved'),
        Type.Literal('spent'),
        Type.Literal('replay'),
        Type.Literal('expired'),
        Type.Literal('tau_mismatch'),
      ]),
    }),
  ),
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'cursor for the next page (`after`), null at the end',
  }),
});

export const HealthReply = Type.Object({ status: Type.Literal('ok') });
