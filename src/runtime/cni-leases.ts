// IP leases of the CNI host-local plugin: `<dataDir>/<network>/<ip>` files holding
// "containerID\r\nifname" (older plugins: just the container id), beside the plugin's own `lock`
// and `last_reserved_ip.<n>`. The directory is untrusted input: symlinks are never followed,
// names that are not IP addresses are passed over, contents are size-capped, and nothing outside
// `<dataDir>/<network>/` is ever opened for writing or removed.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import pLimit from 'p-limit';
import type { IpLeaseResource } from '../core/model.js';
import type { RuntimeBackend } from './backend.js';
import { lockExclusive } from './file-lock.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, failed, reaped, skipped } from './removal.js';

const MAX_LEASE_BYTES = 4096;
/** Lease files read at once while listing: libuv's thread pool has four threads by default. */
const LEASE_READS_AT_ONCE = 8;
const LOCK_TIMEOUT_SECONDS = 10;
/** Container ids as runtimes write them: no whitespace, no control characters. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$/;
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

export interface LeaseFile {
  readonly containerId: string;
  readonly ifname?: string;
}

/** Parses a lease file's content, or returns why it is not one. */
export function parseLeaseFile(content: Buffer): LeaseFile | string {
  if (content.length > MAX_LEASE_BYTES) return 'larger than a lease file';
  if (content.includes(0)) return 'binary content';
  const [containerId = '', ifname] = content.toString('utf8').split(/\r?\n/);
  if (!CONTAINER_ID.test(containerId)) return 'first line is not a container id';
  return ifname && /^[A-Za-z0-9_.-]{1,64}$/.test(ifname) ? { containerId, ifname } : { containerId };
}

/** The lease entries of a network directory are exactly the names that are IP addresses. */
export function isLeaseName(name: string): boolean {
  return isIP(name) !== 0;
}

export class CniLeases implements RuntimeBackend<IpLeaseResource> {
  readonly kind = 'ipLease' as const;
  private warnings: string[] = [];

  private readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = path.resolve(dataDir);
  }

  drainWarnings(): string[] {
    const drained = this.warnings;
    this.warnings = [];
    return drained;
  }

  async list(): Promise<IpLeaseResource[]> {
    let networks;
    try {
      networks = await readdir(this.dataDir, { withFileTypes: true });
    } catch (err) {
      // host-local creates its data directory on first use: none yet means no leases.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const leases: IpLeaseResource[] = [];
    for (const entry of networks) {
      if (!entry.isDirectory()) {
        if (entry.isSymbolicLink()) this.warn(`${entry.name}: symlink in the lease directory, not followed`);
        continue;
      }
      if (!NETWORK_NAME.test(entry.name)) {
        this.warn(`${JSON.stringify(entry.name)}: not a CNI network name, passed over`);
        continue;
      }
      leases.push(...(await this.listNetwork(entry.name)));
    }
    return leases;
  }

  private async listNetwork(network: string): Promise<IpLeaseResource[]> {
    const dir = path.join(this.dataDir, network);
    const leases: IpLeaseResource[] = [];
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      // Removed since the data directory was read: it holds no leases. Anything else (EACCES, EIO)
      // leaves the listing incomplete, and the sweep fails closed.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`lease store ${dir}: ${(err as Error).message}`);
    }
    // `lock` and `last_reserved_ip.*` are the plugin's bookkeeping; anything else that is not an
    // IP is someone else's file.
    const files = entries.filter((entry) => isLeaseName(entry.name));
    // Read a few at a time: one after another, a store of a hundred leases costs a snapshot
    // hundreds of round trips through libuv's thread pool.
    const limit = pLimit(LEASE_READS_AT_ONCE);
    const reads = await Promise.all(
      files.map((entry) => (entry.isFile() ? limit(() => readLease(path.join(dir, entry.name))) : undefined)),
    );
    files.forEach((entry, index) => {
      const where = `${network}/${entry.name}`;
      const read = reads[index];
      if (read === undefined) {
        this.warn(`${where}: not a regular file (${entry.isSymbolicLink() ? 'symlink' : 'other'}), passed over`);
        return;
      }
      if (typeof read === 'string') {
        this.warn(`${where}: ${read}, passed over`);
        return;
      }
      leases.push({
        kind: 'ipLease',
        id: where,
        name: entry.name,
        labels: {},
        createdAt: read.mtimeMs,
        network,
        ip: entry.name,
        containerId: read.lease.containerId,
        ...(read.lease.ifname ? { ifname: read.lease.ifname } : {}),
      });
    });
    return leases;
  }

  async remove(resource: IpLeaseResource): Promise<RemovalResult> {
    if (!NETWORK_NAME.test(resource.network) || !isLeaseName(resource.ip)) {
      return skipped('not a lease path reaper manages');
    }
    const dir = path.join(this.dataDir, resource.network);
    const file = path.join(dir, resource.ip);
    if (path.dirname(file) !== dir || path.dirname(dir) !== this.dataDir) {
      return skipped('lease path escapes the data directory');
    }
    let lock: FileHandle | undefined;
    try {
      const dirInfo = await lstat(dir).catch(() => undefined);
      if (!dirInfo) return alreadyGone();
      if (!dirInfo.isDirectory()) return skipped('network directory is not a directory');
      // The lock host-local takes: the same file, opened (and created) the way the plugin does.
      lock = await open(path.join(dir, 'lock'), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      await lockExclusive(lock, LOCK_TIMEOUT_SECONDS);
      // The directory locked must be the one checked: not swapped for a symlink or another
      // directory in between (the path is resolved again by every call below).
      const again = await lstat(dir);
      if (!again.isDirectory() || again.ino !== dirInfo.ino || again.dev !== dirInfo.dev) {
        return skipped('network directory replaced while taking its lock');
      }
      // Under the lock, the file must still be the lease we planned on: host-local may have handed
      // the address to another container since the snapshot.
      const current = await readLease(file);
      if (current === 'missing') return alreadyGone();
      if (typeof current === 'string') return skipped(`lease file changed: ${current}`);
      if (current.lease.containerId !== resource.containerId) {
        return skipped(`address now leased to container ${current.lease.containerId.slice(0, 12)}`);
      }
      await unlink(file);
      return reaped();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return alreadyGone();
      return failed((err as Error).message);
    } finally {
      await lock?.close(); // closing the last descriptor of the lock releases the flock
    }
  }

  private warn(message: string): void {
    this.warnings.push(`lease store ${this.dataDir}: ${message}`);
  }
}

async function readLease(file: string): Promise<{ lease: LeaseFile; mtimeMs: number } | string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) return 'not a regular file';
    const buffer = Buffer.alloc(MAX_LEASE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const lease = parseLeaseFile(buffer.subarray(0, bytesRead));
    return typeof lease === 'string' ? lease : { lease, mtimeMs: info.mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ELOOP') return 'symlink, not followed';
    return `unreadable (${code ?? (err as Error).message})`;
  } finally {
    await handle?.close();
  }
}
