/**
 * Which process owns the local end of a loopback TCP connection (Linux /proc): lets a test tell which
 * worker of `--workers N` made a connection to an upstream, with no debug header in the product.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The inode of the live socket whose local port is `port` and whose peer's port is `peerPort` (IPv4 or IPv6), if any.
 * Both ports, and a non-zero inode: a connection in TIME_WAIT keeps its row (inode 0) for a minute, and Linux may
 * give its local port to a new connection to another peer; matching the local port alone then found the dead row
 * first and no owner (a rare, CI-only failure of the --workers tests).
 */
function socketInode(port: number, peerPort: number): string | undefined {
  const hex = (value: number): string => value.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(port)}`;
  const remote = `:${hex(peerPort)}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(local) && fields[2]?.endsWith(remote) && fields[9] !== '0') return fields[9];
    }
  }
  return undefined;
}

/** The pid, among `candidates`, that holds the socket with local port `port` connected to port `peerPort`. */
export function ownerOfLocalPort(port: number, peerPort: number, candidates: readonly number[]): number | undefined {
  const inode = socketInode(port, peerPort);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of candidates) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** The children of `pid` (its workers). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}
