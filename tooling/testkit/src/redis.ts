/**
 * A private Redis server for a test file: Debian's `redis-server` on a free loopback port, no persistence,
 * optionally with a password. Tests that stop Redis mid-run need their own server (the machine's shared one
 * on 6379 must stay up for everyone else), and a private server also keeps test files from seeing each
 * other's keys. `.ci/run` installs `redis-server` when it is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the server (SIGKILL: a crash, as far as clients can tell). Idempotent. */
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port}`);
}

/**
 * The environment without libfaketime's preload and settings. A test run under a shifted clock (`faketime ...
 * pnpm test`) shifts Node, but Redis is a server with the machine's clock, as PostgreSQL is; and redis-server
 * under libfaketime never listens ("unexpected recursive calls to clock_gettime()").
 */
function withoutFaketime(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const preload = (env.LD_PRELOAD ?? '')
    .split(/[:\s]+/)
    .filter((lib) => lib !== '' && !lib.includes('faketime'))
    .join(':');
  const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('FAKETIME')));
  return { ...rest, LD_PRELOAD: preload };
}

export async function startRedisServer(options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.password) args.push('--requirepass', options.password);
  let child: ChildProcess;
  try {
    child = spawn('redis-server', args, { stdio: 'ignore', env: withoutFaketime(process.env) });
  } catch (error) {
    throw new Error('redis-server is needed by this test: apt-get install redis-server', { cause: error });
  }
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(
        new Error(`redis-server is needed by this test (apt-get install redis-server): ${error.message}`),
      ),
    );
  });
  await spawned;
  await waitForPort(port, child);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
