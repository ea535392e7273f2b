/**
 * Rotation of a real container's log (runc + conmon, hostNetwork sandbox so no bridge is needed)
 * while a follower reads it: no line lost or repeated, old files compressed, at most maxFiles kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import { buildBusyboxRootfs, isRoot, removeTestDir } from '../../runtime/oci/test-fixtures.js';
import { hierarchies, removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { setLogLevel } from '../../util/log.js';
import { readCriLog } from './cri-log.js';
import { rotateContainerLog, rotatedFiles } from './log-rotation.js';
import { statSync } from 'node:fs';

setLogLevel('warn');

describe('container log rotation', { skip: isRoot ? false : 'needs root' }, () => {
  let work: string;
  let rt: OciRuntime;
  const cgroupParent = `/peapod-logrot-${process.pid}`;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'peapod-logrot-'));
    rt = new OciRuntime({ dataDir: join(work, 'runtime'), cgroupParent });
  });
  after(async () => {
    for (const s of await rt.listPodSandboxes()) await rt.removePodSandbox(s.id);
    removeCgroupTree(cgroupParent);
    removeTestDir(work);
    assert.deepEqual(hierarchies().filter((h) => existsSync(h + cgroupParent)), []);
  });

  test('rotating under a follower loses and repeats nothing; old files gzipped; at most maxFiles', async () => {
    const rootfs = buildBusyboxRootfs(work);
    const sb = await rt.runPodSandbox({ name: 'rot', namespace: 'default', uid: 'uid-rot', hostname: 'rot', hostNetwork: true });
    const logPath = join(work, 'logs', 'c', '0.log');
    // The writer writes 6 blocks of 500 lines; after block k it waits until the test has rotated at
    // least k times (file /ctl/go-k), so that rotations happen while it writes however slow the
    // machine is (pacing it by time alone gave too few rotations under load).
    const ctl = join(work, 'ctl');
    mkdirSync(ctl);
    const writer = 'i=0; k=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); '
      + 'if [ $((i % 500)) -eq 0 ] && [ $i -lt 3000 ]; then k=$((k+1)); until [ -e /ctl/go-$k ]; do usleep 10000; done; fi; done';
    const id = await rt.createContainer(sb, { name: 'c', lowerDirs: [rootfs], logPath, mounts: [{ hostPath: ctl, containerPath: '/ctl', readOnly: true }], command: ['sh', '-c', writer] });
    await rt.startContainer(id);
    const got: string[] = [];
    const follow = readCriLog(logPath, { follow: true, pollMs: 20, isRunning: async () => (await rt.containerStatus(id)).state === 'running' }, async (b) => { got.push(b.toString()); });
    let rotations = 0;
    let last = Date.now();
    const deadline = Date.now() + 60_000;
    while ((await rt.containerStatus(id)).state === 'running') {
      assert.ok(Date.now() < deadline, 'the writer did not finish within 60 s');
      // a fake clock for the file names: one "second" per rotation keeps them distinct and ordered
      last += 1000;
      const size = (() => { try { return statSync(logPath).size; } catch { return 0; } })();
      if (size > 4000 && await rotateContainerLog(rt, id, logPath, { maxSizeBytes: 4000, maxFiles: 3 }, last).catch(() => false)) writeFileSync(join(ctl, `go-${++rotations}`), '');
      await new Promise((r) => setTimeout(r, 5)); // pace the size checks
    }
    await follow;
    const lines = got.join('').split('\n').filter(Boolean);
    assert.ok(rotations >= 3, `only ${rotations} rotations happened`);
    assert.equal(lines.length, 3000, `first missing/extra around: ${lines.find((l, i) => l !== `line-${i}`)}`);
    lines.forEach((l, i) => assert.equal(l, `line-${i}`));
    const rotated = rotatedFiles(logPath);
    assert.equal(rotated.length, 2, readdirSync(join(work, 'logs', 'c')).join(' '));
    assert.match(rotated[0], /\.\d{8}-\d{6}\.gz$/);
    assert.match(rotated[1], /\.\d{8}-\d{6}$/);
  });
});
