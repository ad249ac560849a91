// Owners from a directory of YAML manifests: the embedded default on a machine without a cluster,
// and the GitOps preview (`reaper plan --owners-from DIR`). Files are untrusted input: size and
// count are bounded, symlinks are not followed, and any unreadable or malformed document makes the
// listing unsynced (fail closed) rather than silently smaller.
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LiveOwners, OwnerRef } from '../core/model.js';
import type { Policy } from '../core/policy.js';
import type { KubeObjectLike } from './owner-objects.js';
import { namespaceSelected, toOwnerRef } from './owner-objects.js';
import type { OwnerListing, OwnerSource } from './source.js';
import { listingFrom } from './source.js';
import { compareText } from '../core/text-order.js';

const MAX_FILES = 10_000;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MANIFEST = /\.(ya?ml|json)$/i;

export class ManifestDirOwnerSource implements OwnerSource {
  constructor(private readonly dir: string) {}

  async list(policy: Policy): Promise<OwnerListing> {
    const errors: string[] = [];
    const objects = await this.readObjects(errors);
    const owners: OwnerRef[] = [];
    for (const { object, file } of objects) {
      for (const kind of policy.owners) {
        if (object.apiVersion !== kind.apiVersion || object.kind !== kind.kind) continue;
        if (!namespaceSelected(kind, object.metadata?.namespace ?? 'default')) continue;
        const ref = toOwnerRef({ ...object, metadata: { namespace: 'default', ...object.metadata } }, kind);
        if (typeof ref === 'string') {
          const hint = kind.key.type === 'uid' ? ' (manifests carry no uid: use key name or a field path)' : '';
          errors.push(`${path.relative(this.dir, file)}: ${ref}${hint}`);
        } else {
          owners.push(ref);
        }
      }
    }
    return listingFrom(owners, errors);
  }

  /** The directory read again: a file changed since the listing counts. */
  async recheck(policy: Policy): Promise<LiveOwners> {
    return (await this.list(policy)).live;
  }

  private async readObjects(errors: string[]): Promise<{ object: KubeObjectLike; file: string }[]> {
    const files: string[] = [];
    await this.collect(this.dir, files, errors);
    const objects: { object: KubeObjectLike; file: string }[] = [];
    for (const file of files) {
      let text: string;
      try {
        const info = await lstat(file);
        if (info.size > MAX_FILE_BYTES) {
          errors.push(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
          continue;
        }
        text = await readFile(file, 'utf8');
      } catch (err) {
        errors.push(`${file}: ${(err as Error).message}`);
        continue;
      }
      for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
        if (doc.errors.length > 0) {
          errors.push(`${file}: ${doc.errors[0]!.message}`);
          continue;
        }
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) continue;
        for (const item of flattenLists(value)) objects.push({ object: item, file });
      }
    }
    return objects;
  }

  private async collect(dir: string, files: string[], errors: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      errors.push(`cannot read owners directory ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const entry of entries.sort((a, b) => compareText(a.name, b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await this.collect(full, files, errors);
      else if (entry.isFile() && MANIFEST.test(entry.name)) files.push(full);
      // Symlinks and special files are skipped: a manifest tree is plain files.
      if (files.length > MAX_FILES) {
        errors.push(`more than ${MAX_FILES} manifest files under ${this.dir}`);
        return;
      }
    }
  }
}

/** `kind: List` documents (kubectl get -o yaml) hold their objects in `items`. */
function flattenLists(value: unknown): KubeObjectLike[] {
  if (typeof value !== 'object' || value === null) return [];
  const object = value as KubeObjectLike & { items?: unknown };
  if (object.kind === 'List' || (object.kind?.endsWith('List') && Array.isArray(object.items))) {
    return Array.isArray(object.items) ? object.items.flatMap(flattenLists) : [];
  }
  return [object];
}
