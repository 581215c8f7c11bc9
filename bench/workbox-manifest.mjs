// The precache manifest step users run today: workbox-build's getManifest over every file of SITE
// (it reads each file and computes an MD5 revision). Prints the entry count and total size.
// Usage: node bench/workbox-manifest.mjs SITE
import { getManifest } from 'workbox-build';

const site = process.argv[2];
if (!site) {
  console.error('usage: node workbox-manifest.mjs SITE');
  process.exit(2);
}
const { count, size, warnings } = await getManifest({
  globDirectory: site,
  globPatterns: ['**/*'],
  // The default (2 MiB) would skip large files; hintgen fingerprints every file.
  maximumFileSizeToCacheInBytes: Number.MAX_SAFE_INTEGER,
});
for (const w of warnings) console.error(`warning: ${w}`);
console.error(`workbox getManifest: ${count} files, ${size} bytes`);
