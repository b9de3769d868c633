// The kernel's view of a process's TCP sockets (Linux /proc), for the
// counts Bun and Deno do not give (Bun lists no handles; Deno's list has no
// Deno.Conn) and for finding a Deno conn's fd, which Deno does not expose.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Rows of /proc/net/tcp and tcp6: hex `local` and `remote` (`ADDR:PORT`) and the socket's `inode`. */
export function tcpTable() {
  const rows = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 table
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9) rows.push({ local: f[1], remote: f[2], inode: f[9] });
    }
  }
  return rows;
}

/** This process's fds that are sockets: fd number to inode. */
export function socketFds() {
  const fds = new Map();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m !== null) fds.set(Number(fd), m[1]);
    } catch {
      // fds come and go while we look
    }
  }
  return fds;
}

/** TCP sockets this process holds: our socket fds whose inodes the TCP tables list. */
export function procSockets() {
  const tcp = new Set(tcpTable().map((row) => row.inode));
  let n = 0;
  for (const inode of socketFds().values()) if (tcp.has(inode)) n++;
  return n;
}

/** The fd of this process's TCP socket from `localPort` to `remotePort`. */
export function tcpFd(localPort, remotePort) {
  const hex = (n) => `:${n.toString(16).toUpperCase().padStart(4, '0')}`;
  const row = tcpTable().findLast((r) => r.local.endsWith(hex(localPort)) && r.remote.endsWith(hex(remotePort)));
  if (row === undefined) throw new Error(`no TCP socket ${localPort} -> ${remotePort} in /proc/net/tcp`);
  for (const [fd, inode] of socketFds()) if (inode === row.inode) return fd;
  throw new Error(`no fd for socket inode ${row.inode}`);
}
