/**
 * What the read side, the write side and the direct dispatch path of one
 * socket share: the socket, and why we destroyed it (so a stream closed
 * underneath reports the reason it was given, not a generic error).
 */
import type { Socket } from 'node:net';
import { resetAndDestroy } from './_reset.js';
import { SocketClosedError } from './errors.js';

export class SocketState {
  /** Set when our `close()` ended the socket on purpose: the readable then closes instead of failing. */
  closing = false;
  /** The error the socket failed with, or the reason it was destroyed by `abort()` / `cancel()`. */
  failure: unknown = undefined;
  failed = false;

  constructor(readonly socket: Socket) {}

  /**
   * Destroys the socket with an RST where it can, remembering why (SPEC.md
   * 5 and 6: abort and cancel destroy, and a reset travels to the far peer).
   */
  destroy(reason: unknown): void {
    this.fail(reason === undefined ? new SocketClosedError('The socket was destroyed by abort() or cancel()') : reason);
    resetAndDestroy(this.socket);
  }

  /** Records the first failure; later ones are consequences of it. */
  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = error;
  }

  /** The error a side reports when the socket closed before that side finished. */
  closedError(): unknown {
    return this.failed ? this.failure : new SocketClosedError();
  }
}
