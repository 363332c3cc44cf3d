import net from 'node:net';

/**
 * An SMTP front door for the real mail catcher that refuses the first `failures` connections with the
 * given reply (421: try later, 554: refused for good) and relays every later one byte for byte.
 * `refuseNext(n)` breaks it again for the next n connections, and drops the connections open now (as a mail
 * server restarting would), so a sender's pooled connection cannot slip past the refusal.
 */
export async function startFlakySmtp(
  target: { host: string; port: number },
  failures: number,
  reply = '421 4.3.2 Service not available, try again later',
) {
  let refused = 0;
  let connections = 0;
  let limit = failures;
  const open = new Set<() => void>();
  const server = net.createServer((client) => {
    connections++;
    if (refused < limit) {
      refused++;
      client.end(`${reply}\r\n`);
      return;
    }
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(close);
    };
    open.add(close);
    client.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    refuseNext(n: number) {
      limit = refused + n;
      for (const drop of [...open]) drop();
    },
    close: () => {
      for (const drop of [...open]) drop();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
