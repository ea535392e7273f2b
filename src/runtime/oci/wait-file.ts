/** Waits (bounded) for a file to appear, on fs.watch events of its directory with a slow poll as a backstop. */
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export function waitForFile(path: string, timeoutMs: number): Promise<boolean> {
  if (existsSync(path)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
      resolve(v);
    };
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(dirname(path), (_ev, name) => {
        if ((name === null || name === basename(path)) && existsSync(path)) finish(true);
      });
      watcher.on('error', () => undefined);
    } catch { /* no dir yet: the poll covers it */ }
    const poll = setInterval(() => { if (existsSync(path)) finish(true); }, 250);
    const timer = setTimeout(() => finish(existsSync(path)), timeoutMs);
  });
}
