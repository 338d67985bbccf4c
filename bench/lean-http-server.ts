/**
 * A minimal HTTP/1.1 server for benchmark destinations: reads requests with a `content-length` body over
 * keep-alive connections and answers each with an empty response of the status the handler picks. It does a
 * fraction of `node:http`'s work per request, so that a benchmark's stand-in destinations, which share the machine
 * with the system measured, take as little of it as they can. Not a general server: no chunked bodies, no
 * pipelining beyond answering in order, no header validation.
 */
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const REASONS: Record<number, string> = { 200: 'OK', 204: 'No Content', 400: 'Bad Request', 500: 'Internal Error' };

/** Answers one request with `status` (an empty body), or drops the connection (`'reset'`). */
export type Reply = (status: number | 'reset') => void;

/** The server; its `close` also drops the connections still open (clients keep them alive). */
export function leanHttpServer(onRequest: (body: Buffer, reply: Reply) => void): net.Server {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    /** Replies owed, in request order: a later request answered first waits for the earlier ones. */
    const owed: { status: number | 'reset' | undefined; close: boolean }[] = [];
    const drain = () => {
      while (owed.length > 0 && owed[0].status !== undefined) {
        const { status, close } = owed.shift()! as { status: number | 'reset'; close: boolean };
        if (status === 'reset') return void socket.destroy();
        const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}\r\ncontent-length: 0\r\n`;
        socket.write(close ? `${head}connection: close\r\n\r\n` : `${head}\r\n`);
        if (close) return void socket.end();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf(HEADER_END);
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1').toLowerCase();
        const length = Number(/\r\ncontent-length:\s*(\d+)/.exec(head)?.[1] ?? 0);
        const total = end + HEADER_END.length + length;
        if (buffered.length < total) return;
        const body = buffered.subarray(end + HEADER_END.length, total);
        buffered = buffered.subarray(total);
        const slot = { status: undefined as number | 'reset' | undefined, close: head.includes('\r\nconnection: close') };
        owed.push(slot);
        onRequest(body, (status) => {
          slot.status = status;
          drain();
        });
      }
    });
    socket.on('error', () => socket.destroy());
  });
  const close = server.close.bind(server);
  server.close = (callback) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  };
  return server;
}
