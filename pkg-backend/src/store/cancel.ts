/**
 * Cancelling a running statement the way psql's Ctrl-C does: a CancelRequest on a fresh socket naming the
 * backend's process id and secret key. It needs no pooled connection (the pool may be exhausted by the very
 * work being cancelled), no login and no privilege, so it works for any role; the server answers by closing
 * the socket, and the statement fails with SQLSTATE 57014 on its own connection.
 */
import net from 'node:net';
import type pg from 'pg';

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;
/** A server that does not close the socket by then is not answering; the caller goes on regardless. */
const CANCEL_WAIT_MS = 2000;

interface BackendKey {
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
}

/** Asks the server to cancel whatever `client` is running. Resolves once sent (never rejects). */
export function sendCancel(client: pg.PoolClient): Promise<void> {
  const { processID, secretKey, host, port } = client as unknown as BackendKey;
  if (processID === null || secretKey === null || processID === undefined || secretKey === undefined) {
    return Promise.resolve();
  }
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  return new Promise<void>((resolve) => {
    // A host starting with "/" is the folder of a Unix socket, as libpq and pg read it.
    const socket = host?.startsWith('/')
      ? net.connect(`${host}/.s.PGSQL.${port}`)
      : net.connect(port, host || 'localhost');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CANCEL_WAIT_MS);
    socket.once('connect', () => socket.end(packet));
    socket.once('close', done);
    socket.once('error', done);
  });
}
