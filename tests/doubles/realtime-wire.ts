/**
 * An in-process Supabase Realtime speaking what realtime-js 2.x speaks for Postgres changes
 * (checked against realtime-js's RealtimeChannel, serializer and constants, and supabase/realtime's
 * channel join): a WebSocket at `/realtime/v1/websocket?apikey=…&vsn=2.0.0` on the project's
 * origin; Phoenix frames as JSON arrays `[join_ref, ref, topic, event, payload]`; `phx_join` with
 * `config.postgres_changes` and the user's `access_token` answered by `phx_reply` with the
 * bindings and their server ids, then a `system` "Subscribed to PostgreSQL"; `heartbeat` on
 * `phoenix`; `access_token` updates; `phx_leave`. A change is sent as `postgres_changes` with
 * `{ ids, data: { schema, table, commit_timestamp, type, columns, record, old_record, errors } }`
 * only to subscribers whose filter matches and whose row level security lets them read the row:
 * the row is read as each subscriber (role authenticated, their JWT claims), as Realtime does.
 *
 * Changes come from the real database: a trigger notifies the table, operation and id (never the
 * row, which could pass NOTIFY's 8000-byte limit), and the double reads the row itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthWire } from './auth-wire.js';

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

interface Binding {
  id: number;
  event: string;
  schema: string;
  table?: string;
  filter?: string;
}

interface Channel {
  topic: string;
  joinRef: string;
  bindings: Binding[];
  claims: Record<string, unknown>;
}

export interface RealtimeWire {
  /** Changes sent, per subscriber user id. */
  delivered: Map<string, number>;
  /** Drops every open socket, as a network blip or a Realtime restart would. */
  dropAll(): void;
  /** Sockets currently open. */
  open(): number;
  close(): Promise<void>;
}

const CHANNEL = 'realtime_wire_changes';

/** `column=eq.value`, the one filter form this dashboard uses; any other is refused at join, as Realtime refuses what it cannot parse. */
function parseFilter(filter: string | undefined): { column: string; value: string } | undefined | 'invalid' {
  if (!filter) return undefined;
  const m = /^([a-z_][a-z0-9_]*)=eq\.(.+)$/.exec(filter);
  return m ? { column: m[1]!, value: m[2]! } : 'invalid';
}

export async function startRealtimeWire(auth: AuthWire, options: { databaseUrl: string; publishableKey: string; tables: string[] }): Promise<RealtimeWire> {
  const db = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  const listener = new pg.Client({ connectionString: options.databaseUrl });
  await listener.connect();
  await db.query(`
    create or replace function public.realtime_wire_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('${CHANNEL}', json_build_object('table', tg_table_name, 'type', tg_op, 'id', coalesce(new.id, old.id), 'at', clock_timestamp())::text);
      return null;
    end $$`);
  for (const table of options.tables) {
    await db.query(`drop trigger if exists realtime_wire_notify on public.${table}`);
    await db.query(`create trigger realtime_wire_notify after insert or update on public.${table} for each row execute function public.realtime_wire_notify()`);
  }
  const columns = new Map<string, Array<{ name: string; type: string }>>();
  for (const table of options.tables) {
    const { rows } = await db.query<{ name: string; type: string }>(
      `select column_name as name, udt_name as type from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`,
      [table],
    );
    columns.set(table, rows);
  }

  const sockets = new Map<WebSocket, Map<string, Channel>>();
  const delivered = new Map<string, number>();
  let nextBinding = 1000;
  const send = (ws: WebSocket, frame: Frame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  async function readAs(claims: Record<string, unknown>, table: string, id: string): Promise<Record<string, unknown> | undefined> {
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query('set local role authenticated');
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      const { rows } = await client.query<{ row: Record<string, unknown> }>(`select row_to_json(t) as row from public.${table} t where id = $1`, [id]);
      return rows[0]?.row;
    } finally {
      await client.query('rollback').catch(() => undefined);
      client.release();
    }
  }

  listener.on('notification', (note) => {
    const change = JSON.parse(note.payload ?? '{}') as { table: string; type: string; id: string; at: string };
    void (async () => {
      for (const [ws, channels] of sockets) {
        for (const channel of channels.values()) {
          const ids = channel.bindings
            .filter((b) => (b.table === undefined || b.table === change.table) && (b.event === '*' || b.event === change.type))
            .map((b) => b.id);
          if (ids.length === 0) continue;
          const record = await readAs(channel.claims, change.table, change.id);
          if (!record) continue; // row level security: not theirs to see
          const matching = channel.bindings.filter((b) => {
            if (!ids.includes(b.id)) return false;
            const f = parseFilter(b.filter);
            return f === undefined || (f !== 'invalid' && String(record[f.column]) === f.value);
          });
          if (matching.length === 0) continue;
          send(ws, [channel.joinRef, null, channel.topic, 'postgres_changes', {
            ids: matching.map((b) => b.id),
            data: { schema: 'public', table: change.table, commit_timestamp: change.at, type: change.type, columns: columns.get(change.table) ?? [], record, old_record: {}, errors: null },
          }]);
          const user = String(channel.claims.sub);
          delivered.set(user, (delivered.get(user) ?? 0) + 1);
        }
      }
    })();
  });
  await listener.query(`listen ${CHANNEL}`);

  async function onFrame(ws: WebSocket, channels: Map<string, Channel>, frame: Frame): Promise<void> {
    const [joinRef, ref, topic, event, payload] = frame;
    const reply = (status: 'ok' | 'error', response: Record<string, unknown>) => send(ws, [joinRef, ref, topic, 'phx_reply', { status, response }]);
    if (topic === 'phoenix' && event === 'heartbeat') return reply('ok', {});
    if (event === 'phx_join') {
      const token = typeof payload.access_token === 'string' ? payload.access_token : undefined;
      let claims: Record<string, unknown>;
      try {
        if (!token) throw new Error('missing');
        claims = await auth.verify(token);
      } catch {
        return reply('error', { reason: 'Invalid JWT Token' });
      }
      const config = (payload.config ?? {}) as { postgres_changes?: Array<{ event: string; schema: string; table?: string; filter?: string }> };
      const bindings: Binding[] = [];
      for (const c of config.postgres_changes ?? []) {
        if (c.table !== undefined && !options.tables.includes(c.table)) return reply('error', { reason: `Unable to subscribe to changes with given parameters: table ${c.table} is not in the publication` });
        if (parseFilter(c.filter) === 'invalid') return reply('error', { reason: `Unable to subscribe to changes with given parameters: invalid filter ${c.filter}` });
        bindings.push({ id: nextBinding++, event: c.event, schema: c.schema, ...(c.table !== undefined ? { table: c.table } : {}), ...(c.filter !== undefined ? { filter: c.filter } : {}) });
      }
      channels.set(topic, { topic, joinRef: joinRef ?? '', bindings, claims });
      reply('ok', { postgres_changes: bindings.map(({ id, event: e, schema, table, filter }) => ({ id, event: e, schema, table, filter })) });
      send(ws, [joinRef, null, topic, 'system', { message: 'Subscribed to PostgreSQL', status: 'ok', extension: 'postgres_changes', channel: topic.replace(/^realtime:/, '') }]);
      return;
    }
    const channel = channels.get(topic);
    if (event === 'access_token' && channel && typeof payload.access_token === 'string') {
      try {
        channel.claims = await auth.verify(payload.access_token);
      } catch {
        channels.delete(topic);
        send(ws, [joinRef, null, topic, 'system', { message: 'Invalid JWT Token', status: 'error', extension: 'system', channel: topic.replace(/^realtime:/, '') }]);
      }
      return;
    }
    if (event === 'phx_leave') {
      channels.delete(topic);
      return reply('ok', {});
    }
  }

  const wss = new WebSocketServer({ noServer: true });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = new URL(req.url ?? '/', 'http://realtime.local');
    if (target.pathname !== '/realtime/v1/websocket') return;
    if (target.searchParams.get('apikey') !== options.publishableKey) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n{"message":"Invalid API key"}');
      return;
    }
    if (target.searchParams.get('vsn') !== '2.0.0' && target.searchParams.get('vsn') !== '1.0.0') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const channels = new Map<string, Channel>();
      sockets.set(ws, channels);
      ws.on('message', (data, binary) => {
        if (binary) return;
        void onFrame(ws, channels, JSON.parse(data.toString()) as Frame);
      });
      ws.on('close', () => sockets.delete(ws));
    });
  };
  auth.server.on('upgrade', onUpgrade);

  return {
    delivered,
    dropAll() {
      for (const ws of sockets.keys()) ws.terminate();
    },
    open: () => sockets.size,
    async close() {
      auth.server.off('upgrade', onUpgrade);
      for (const ws of sockets.keys()) ws.terminate();
      wss.close();
      await listener.end().catch(() => undefined);
      await db.end().catch(() => undefined);
    },
  };
}
