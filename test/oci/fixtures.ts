import type { EntrySpec } from './helpers/layout.js';

const d = (name: string, mode = 0o755, uid = 0, gid = 0): EntrySpec => ({
  name,
  type: 'directory',
  mode,
  uid,
  gid,
});
const f = (name: string, content: string, mode = 0o644, uid = 0, gid = 0): EntrySpec => ({
  name,
  content,
  mode,
  uid,
  gid,
});
const sym = (name: string, linkname: string): EntrySpec => ({ name, type: 'symlink', linkname, mode: 0o777 });

/** Base layer: a small merged-/usr style tree with setuid/setgid binaries, links and odd owners. */
export const BASE_LAYER: EntrySpec[] = [
  d('./'),
  d('etc/'),
  f('etc/motd', 'base motd'),
  f('etc/hostname', 'base'),
  d('etc/alternatives/'),
  sym('etc/alternatives/sh', '/usr/bin/dash'),
  d('usr/'),
  d('usr/bin/'),
  f('usr/bin/dash', 'dash binary', 0o755),
  { name: 'usr/bin/sh-hard', type: 'link', linkname: 'usr/bin/dash' },
  sym('usr/bin/sh', 'dash'),
  f('usr/bin/su', 'su binary', 0o4755),
  f('usr/bin/wall', 'wall binary', 0o2755, 0, 5),
  sym('bin', 'usr/bin'),
  d('usr/share/'),
  d('usr/share/doc/'),
  f('usr/share/doc/old-a', 'old a'),
  d('usr/share/doc/old-dir/'),
  f('usr/share/doc/old-dir/x', 'old x'),
  d('opt/'),
  d('opt/app/'),
  f('opt/app/old.txt', 'old'),
  d('opt/app/sub/'),
  f('opt/app/sub/deep.txt', 'deep'),
  d('home/'),
  d('home/user/', 0o750, 1000, 1000),
  f('home/user/.profile', 'profile', 0o600, 1000, 1000),
  d('gone-dir/'),
  f('gone-dir/inner', 'inner'),
  f('gone-file', 'bye'),
  d('var/'),
  d('var/cache/'),
  f('var/cache/item', 'cached'),
  d('tmp/', 0o1777),
  // A long file name and an implicit parent (no entry for srv/ or srv/data/).
  f(`srv/data/${'n'.repeat(120)}`, 'long name'),
];

/** Second layer: whiteouts, an opaque directory, overwrites and a device node. */
export const SECOND_LAYER: EntrySpec[] = [
  f('etc/.wh.motd', ''),
  f('.wh.gone-dir', ''),
  f('.wh.gone-file', ''),
  d('opt/app/'),
  f('opt/app/.wh..wh..opq', ''),
  f('opt/app/new.txt', 'new'),
  f('etc/hostname', 'second', 0o600),
  // A directory replaced by a file, and a file replaced by a directory.
  f('var/cache', 'now a file'),
  d('usr/bin/sh-hard/'),
  { name: 'dev/null', type: 'character-device', mode: 0o666 },
  { name: 'dev/fifo', type: 'fifo', mode: 0o644 },
];

/** Third layer: recreate a whited-out file, same-layer content before an opaque marker survives it. */
export const THIRD_LAYER: EntrySpec[] = [
  f('etc/motd', 'third motd', 0o640, 0, 4),
  d('usr/share/doc/'),
  f('usr/share/doc/new-b', 'new b'),
  f('usr/share/doc/.wh..wh..opq', ''),
  // A whiteout of something this layer wrote does not remove it.
  f('usr/share/doc/.wh.new-b', ''),
  { name: 'usr/bin/su-hard', type: 'link', linkname: 'usr/bin/su' },
];

/**
 * The tree the three layers must flatten to (lost+found left out), as
 * `listExt4` prints it. Derived by hand from the layers above; /dev (its
 * only entries were skipped device nodes), /proc, /run and /sys are the
 * mount points banger adds.
 */
export const EXPECTED_TREE = [
  '/bin 120777 0:0 -> usr/bin',
  '/dev 040755 0:0',
  '/etc 040755 0:0',
  '/etc/alternatives 040755 0:0',
  '/etc/alternatives/sh 120777 0:0 -> /usr/bin/dash',
  '/etc/hostname 100600 0:0 "second"',
  '/etc/motd 100640 0:4 "third motd"',
  '/home 040755 0:0',
  '/home/user 040750 1000:1000',
  '/home/user/.profile 100600 1000:1000 "profile"',
  '/opt 040755 0:0',
  '/opt/app 040755 0:0',
  '/opt/app/new.txt 100644 0:0 "new"',
  '/proc 040555 0:0',
  '/run 040755 0:0',
  '/srv 040755 0:0',
  '/srv/data 040755 0:0',
  `/srv/data/${'n'.repeat(120)} 100644 0:0 "long name"`,
  '/sys 040555 0:0',
  '/tmp 041777 0:0',
  '/usr 040755 0:0',
  '/usr/bin 040755 0:0',
  '/usr/bin/dash 100755 0:0 "dash binary"',
  '/usr/bin/sh 120777 0:0 -> dash',
  '/usr/bin/sh-hard 040755 0:0',
  '/usr/bin/su 104755 0:0 "su binary"',
  '/usr/bin/su-hard 104755 0:0 hardlink=/usr/bin/su',
  '/usr/bin/wall 102755 0:5 "wall binary"',
  '/usr/share 040755 0:0',
  '/usr/share/doc 040755 0:0',
  '/usr/share/doc/new-b 100644 0:0 "new b"',
  '/var 040755 0:0',
  '/var/cache 100644 0:0 "now a file"',
];
