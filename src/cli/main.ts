/**
 * peapod — one program, several commands (in the spirit of k3s).
 * Each command lives in its own file and is loaded only when used, so start-up stays fast.
 */
type Command = { describe: string; load: () => Promise<{ run(args: string[]): Promise<number | void> }> };

const commands: Record<string, Command> = {
  up: { describe: 'start a single-node cluster in the background and run the seed examples', load: () => import('./up-command.js') },
  down: { describe: 'stop the cluster started by up', load: () => import('./down-command.js') },
  test: { describe: 'run the whole test suite (installs what is missing)', load: () => import('./test-command.js') },
  agent: { describe: 'run a node agent that joins a server with the node join token', load: () => import('./agent-command.js') },
  server: { describe: 'run the control plane (API server, store, scheduler, controllers) and an embedded agent', load: () => import('./server-command.js') },
  kubectl: { describe: 'run the kubectl on PATH against the local server', load: () => import('./kubectl-command.js') },
  'sim-agent': { describe: 'run N simulated nodes (no containers) for scale tests and benchmarks', load: () => import('./sim-agent-command.js') },
  images: { describe: 'list, import, pull and remove images in the node image store', load: () => import('./images-command.js') },
  store: { describe: 'store maintenance: migrate every key from sqlite to etcd (or back)', load: () => import('./store-command.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.describe}`);
  return `usage: peapod <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`peapod: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await cmd.load();
  const code = await mod.run(rest);
  return typeof code === 'number' ? code : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`peapod: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
