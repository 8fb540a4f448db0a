// The tarballs of bench/agent/package-lock.json: which to fetch, and whether the cache holds them.
//
//   node tarballs.js specs LOCKFILE            one NAME@VERSION per distinct tarball (for npm pack)
//   node tarballs.js place LOCKFILE DIR CACHE  moves what `npm pack --pack-destination DIR` wrote
//                                              to CACHE/<the resolved URL's path>
//   node tarballs.js verify LOCKFILE CACHE     checks every tarball against the lockfile's
//                                              integrity; prints "COUNT BYTES", exit 1 if one is
//                                              missing or differs (each named on stderr)
//
// The cache mirrors the registry's paths (NAME/-/NAME-VERSION.tgz, @SCOPE/NAME/-/NAME-VERSION.tgz),
// so nginx serves it as it is at the lockfile's resolved URLs.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [command, lockfile, ...rest] = process.argv.slice(2);

// Every distinct tarball: { spec, urlPath, integrity }; aliases (npm:NAME@V) by their real name.
function tarballs(file) {
  const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byUrl = new Map();
  for (const [key, entry] of Object.entries(lock.packages || {})) {
    if (!key || !entry.resolved) continue;
    const name = entry.name || key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const url = new URL(entry.resolved);
    byUrl.set(entry.resolved, {
      spec: `${name}@${entry.version}`,
      urlPath: decodeURIComponent(url.pathname).replace(/^\//, ''),
      integrity: entry.integrity,
    });
  }
  return [...byUrl.values()];
}

// npm pack names a tarball after the package, scope included: @a/b@1.0.0 -> a-b-1.0.0.tgz.
function packedName(spec) {
  const at = spec.lastIndexOf('@');
  return `${spec.slice(0, at).replace(/^@/, '').replace('/', '-')}-${spec.slice(at + 1)}.tgz`;
}

function matches(file, integrity) {
  const [algorithm, expected] = integrity.split(/-(.*)/s);
  return crypto.createHash(algorithm).update(fs.readFileSync(file)).digest('base64') === expected;
}

const all = tarballs(lockfile);
if (command === 'specs') {
  console.log(all.map((t) => t.spec).join('\n'));
} else if (command === 'place') {
  const [from, cache] = rest;
  for (const t of all) {
    const source = path.join(from, packedName(t.spec));
    if (!fs.existsSync(source)) continue;
    const target = path.join(cache, t.urlPath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(source, target);
  }
} else if (command === 'verify') {
  const [cache] = rest;
  let bytes = 0;
  let bad = 0;
  for (const t of all) {
    const file = path.join(cache, t.urlPath);
    if (!fs.existsSync(file)) {
      console.error(`missing: ${t.urlPath}`);
      bad++;
    } else if (!matches(file, t.integrity)) {
      console.error(`integrity mismatch: ${t.urlPath} (expected ${t.integrity})`);
      bad++;
    } else {
      bytes += fs.statSync(file).size;
    }
  }
  console.log(`${all.length} ${bytes}`);
  process.exit(bad ? 1 : 0);
} else {
  console.error('usage: node tarballs.js specs|place|verify LOCKFILE [DIR] [CACHE]');
  process.exit(2);
}
