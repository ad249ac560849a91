// Bundles the reaper executable (controllers/main.ts and everything it imports, dependencies
// included) into a few ES modules for the image: `tsx scripts/bundle.ts OUTDIR`.
//
// Why a bundle: an agent runs on every node, and V8 keeps the source of every module it loads on
// the heap. @kubernetes/client-node alone is about 22 MiB of source loaded whole; bundled, unused
// code is left out and the rest is minified: about 20 MiB less resident at 20,000 owners, measured
// by hand (bench/results.md, "bundle, V8 flags and malloc settings tried by hand"). Commands stay
// lazily loaded (one chunk per dynamic import), so `reaper --help` still loads no client.
//
// Identifiers are minified too: stack traces then name minified functions. OUTDIR holds a source
// map beside each chunk; NODE_OPTIONS=--enable-source-maps turns them back into file and line.
import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules of dependencies that reaper never runs but that load heavy code at start-up:
 * - docker-modem loads ssh2 for DOCKER_HOST=ssh:// alone, and ssh2 instantiates a WebAssembly
 *   module holding 16 MiB of memory. It is put behind a function that loads it on first use (the
 *   bundler evaluates a CommonJS module when it is first required), so an agent on a local socket
 *   never loads it.
 * - dockerode loads gRPC and protobuf for BuildKit sessions, and reads .proto files next to its own
 *   source; reaper builds no images. They are left out: calling them throws.
 * - node-fetch imports whatwg-url, and through it tr46's Unicode mapping table (a quarter of a
 *   megabyte of code, parsed at load), as the URL class of runtimes that lack one; node has its own,
 *   and node-fetch reads whatwg-url's only when node's is missing. It is left out.
 */
const DEFERRED: readonly { readonly importer: string; readonly request: string; readonly as: 'lazy' | 'absent' }[] = [
  { importer: 'docker-modem/lib/modem.js', request: './ssh', as: 'lazy' },
  { importer: 'dockerode/lib/docker.js', request: './session', as: 'absent' },
  { importer: 'dockerode/lib/docker.js', request: './buildkit', as: 'absent' },
  { importer: 'node-fetch/lib/index.js', request: 'whatwg-url', as: 'absent' },
];

const deferModules: Plugin = {
  name: 'defer-modules',
  setup(bundle) {
    // Only the requests the table names reach this plugin (a relative name or a package's).
    const requests = new RegExp(`^(?:${DEFERRED.map((r) => r.request.replace('.', '\\.')).join('|')})$`);
    bundle.onResolve({ filter: requests }, (args) => {
      const rule = DEFERRED.find(
        (r) => args.importer.endsWith(`node_modules/${r.importer}`) && args.path === r.request,
      );
      if (!rule || args.namespace !== 'file') return undefined;
      return { path: path.join(args.resolveDir, `${args.path}.js`), namespace: `defer-${rule.as}` };
    });
    bundle.onLoad({ filter: /.*/, namespace: 'defer-lazy' }, (args) => ({
      contents: `module.exports = function (...args) { return require(${JSON.stringify(args.path)})(...args); };`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
    bundle.onLoad({ filter: /.*/, namespace: 'defer-absent' }, (args) => ({
      contents: `module.exports = function () { throw new Error(${JSON.stringify(`${path.basename(args.path)} is not part of reaper's bundle`)}); };`,
      loader: 'js',
    }));
  },
};

export interface BundleResult {
  /** The entry point: `node OUTDIR/main.js`. */
  readonly main: string;
  /** Bytes of JavaScript written (source maps left out). */
  readonly bytes: number;
  /** The packages bundled, each with the directory it came from. */
  readonly packages: ReadonlyMap<string, string>;
}

export async function bundleAgent(outdir: string): Promise<BundleResult> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: { main: 'controllers/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Optional native add-ons their packages fall back from when absent (ws, ssh2).
    external: ['bufferutil', 'utf-8-validate', 'cpu-features', '*.node'],
    // CommonJS dependencies call require() and read __dirname; an ES module has neither of its own.
    banner: {
      js: [
        "import { createRequire as __reaperRequire } from 'node:module';",
        "import { fileURLToPath as __reaperPath } from 'node:url';",
        'const require = __reaperRequire(import.meta.url);',
        'const __filename = __reaperPath(import.meta.url);',
        "const __dirname = __reaperPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    plugins: [deferModules],
  });
  // ES modules: the chunks' directory says so for node.
  writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
  let bytes = 0;
  for (const [file, output] of Object.entries(result.metafile.outputs))
    if (!file.endsWith('.map')) bytes += output.bytes;
  return { main: path.join(outdir, 'main.js'), bytes, packages: bundledPackages(result.metafile) };
}

/** The packages under node_modules the bundle took code from, by name. */
function bundledPackages(metafile: Metafile): Map<string, string> {
  const packages = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(?:defer-lazy:)?(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match) packages.set(match[2]!, path.resolve(repo, match[1]!));
  }
  return packages;
}

/** Copies each bundled package's license files to DIR/<package>/. */
export function copyLicenses(packages: ReadonlyMap<string, string>, dir: string): number {
  let copied = 0;
  for (const [name, from] of packages) {
    if (!existsSync(from)) continue;
    for (const file of readdirSync(from)) {
      if (!/^(licen[cs]e|copying|notice)/i.test(file)) continue;
      mkdirSync(path.join(dir, name), { recursive: true });
      copyFileSync(path.join(from, file), path.join(dir, name, file));
      copied++;
    }
  }
  return copied;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outdir, licenses] = process.argv.slice(2);
  if (!outdir) {
    console.error('usage: tsx scripts/bundle.ts OUTDIR [LICENSES_DIR]');
    process.exit(2);
  }
  const bundled = await bundleAgent(path.resolve(outdir));
  const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
  let line = `bundle: reaper ${version}, ${(bundled.bytes / 1e6).toFixed(1)} MB of JavaScript from ${bundled.packages.size} packages`;
  if (licenses) line += `; ${copyLicenses(bundled.packages, path.resolve(licenses))} license files`;
  console.error(line);
}
