/**
 * UDP endpoints over `Deno.listenDatagram` (docs/datagrams.md; needs
 * `--unstable-net`), the same names and shape as the Node and Bun adapters.
 *
 * Deno has no connected datagram socket: `connectDatagram` binds a socket
 * and emulates the connection with a fixed peer address, sending there and
 * keeping only that peer's datagrams (others are discarded as a connected
 * kernel socket would, and counted in `filtered`). Give `remote.hostname` as
 * an IP address: it is compared with the sender's address as a string.
 * Deno reads at most 65,507 bytes of a datagram (a larger IPv6 one arrives
 * cut to that length; Deno's doing, not ours). Deno's receive loop cannot be
 * paused: see `queueLimit` and `dropped` in core's `DatagramEndpoint`.
 */
import {
  type BindDatagramOptions,
  type ConnectDatagramOptions,
  connectOptions,
  type DatagramAddress,
  DatagramEndpoint,
  type DatagramQueueOptions,
  notConnected,
} from '@sosplice/core/datagram';

export type { BindDatagramOptions, ConnectDatagramOptions, DatagramAddress };


/** The parts of Deno's `DatagramConn` used here (declared structurally). */
interface DenoDatagramConn {
  receive(): Promise<[Uint8Array, { hostname: string; port: number }]>;
  send(data: Uint8Array, address: { transport: 'udp'; hostname: string; port: number }): Promise<number>;
  close(): void;
  readonly addr: { hostname: string; port: number };
}

declare const Deno: {
  listenDatagram?(options: { hostname: string; port: number; transport: 'udp' }): DenoDatagramConn;
};

/** A datagram endpoint over a runtime UDP socket, the same on every runtime. */
export class DenoDatagramEndpoint extends DatagramEndpoint {
  /** Datagrams from other senders discarded by an emulated connection. */
  filtered = 0;

  /** @internal use `bindDatagram` / `connectDatagram`. */
  constructor(conn: DenoDatagramConn, remote: DatagramAddress | undefined, options: DatagramQueueOptions) {
    let closed = false;
    const sendTo = async (datagram: Uint8Array, hostname: string, port: number): Promise<void> => {
      await conn.send(datagram, { transport: 'udp', hostname, port });
    };
    super(
      {
        send: (datagram) => {
          if (remote === undefined) throw notConnected();
          return sendTo(datagram, remote.hostname, remote.port);
        },
        sendTo,
        connected: () => remote !== undefined,
        close: () => {
          if (closed) return;
          closed = true;
          conn.close();
        },
      },
      options,
      { hostname: conn.addr.hostname, port: conn.addr.port },
      remote,
    );
    void this.#receiveLoop(conn, remote, () => closed);
  }

  async #receiveLoop(conn: DenoDatagramConn, remote: DatagramAddress | undefined, isClosed: () => boolean): Promise<void> {
    for (;;) {
      let datagram: Uint8Array;
      let from: { hostname: string; port: number };
      try {
        [datagram, from] = await conn.receive();
      } catch (error) {
        if (isClosed()) return; // our own close() ends the loop
        return this.fail(error);
      }
      if (remote !== undefined && (from.port !== remote.port || from.hostname !== remote.hostname)) {
        this.filtered++;
        continue;
      }
      this.receiveFrom(datagram, from.hostname, from.port);
    }
  }
}

/** Binds a UDP socket: reads every datagram sent to it; not a drain until given a peer. */
export async function bindDatagram(options: BindDatagramOptions = {}): Promise<DenoDatagramEndpoint> {
  return new DenoDatagramEndpoint(listen(options), undefined, options);
}

/** Binds a UDP socket with a fixed peer `options.remote` (emulated connection): a drain. */
export async function connectDatagram(options: ConnectDatagramOptions): Promise<DenoDatagramEndpoint> {
  const { remote, local } = connectOptions(options);
  return new DenoDatagramEndpoint(listen(local), remote, options);
}

function listen(options: BindDatagramOptions): DenoDatagramConn {
  if (typeof Deno.listenDatagram !== 'function') {
    throw Object.assign(new TypeError('Deno.listenDatagram is missing: run Deno with --unstable-net'), { code: 'ERR_UNSTABLE_NET' });
  }
  return Deno.listenDatagram({ hostname: options.hostname ?? '127.0.0.1', port: options.port ?? 0, transport: 'udp' });
}
