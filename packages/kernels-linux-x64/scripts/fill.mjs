#!/usr/bin/env node
// Fills this package before it is packed (`prepack`): the @voxnas/kernels addon (built by that
// package's build script, linked with DT_RPATH $ORIGIN) and the shared libraries it loads that a
// machine without libdnnl-dev lacks (Debian's oneDNN, libgomp and the OpenCL ICD loader), plus their
// licence texts. Runs on Linux x64 with libdnnl-dev, g++ and make; fails (exit 1) anywhere else, so
// a package without its binary is never packed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`@voxnas/kernels-linux-x64: can only be filled on linux-x64 (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [join(here, '..', 'kernels', 'scripts', 'build-native.mjs'), '--prebuilt', here], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

// Licence texts of what is bundled, from the Debian packages the libraries came from.
const licenses = join(here, 'licenses');
mkdirSync(licenses, { recursive: true });
const texts = [
  ['/usr/share/doc/libdnnl2/copyright', 'oneDNN.copyright'],
  ['/usr/share/common-licenses/Apache-2.0', 'Apache-2.0.txt'],
  ['/usr/share/doc/libgomp1/copyright', 'libgomp.copyright'],
  ['/usr/share/common-licenses/GPL-3', 'GPL-3.txt'],
  ['/usr/share/doc/ocl-icd-libopencl1/copyright', 'ocl-icd.copyright'],
];
for (const [from, to] of texts) {
  if (!existsSync(from)) {
    console.error(`@voxnas/kernels-linux-x64: licence text ${from} is missing; refusing to pack without it`);
    process.exit(1);
  }
  copyFileSync(from, join(licenses, to));
}
console.log(`@voxnas/kernels-linux-x64: filled ${here}`);
