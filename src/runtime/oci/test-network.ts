/** Test fixture: a bridge name and 10.201.N.0/24 subnet no other network on this host uses. */
import { execFileSync } from 'node:child_process';

export function freeTestSubnet(): { bridge: string; subnet: string; n: number } {
  const addrs = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  const start = Math.floor(Math.random() * 250);
  for (let i = 0; i < 250; i++) {
    const n = 1 + ((start + i) % 250);
    const bridge = `pptest${n}`;
    const prefix = `10.201.${n}.`;
    if (!addrs.includes(prefix) && !routes.includes(prefix) && !links.includes(`${bridge}:`)) return { bridge, subnet: `10.201.${n}.0/24`, n };
  }
  throw new Error('no free 10.201.N.0/24 test subnet');
}
