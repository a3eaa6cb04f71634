import { createInterface } from 'node:readline';
import { loadConfig, type Flags } from '../config';
import { hashPassword, loadUsers, verifyPassword } from '../admin/auth';

export const ADMIN_USAGE = `  smev2-gateway admin hash-password         a password (from stdin) as a hash for admin-users.yaml
  smev2-gateway admin users [--admin-users FILE]   the admin users and their roles, and the file's problems
`;

const MIN_LENGTH = 12;

/** admin hash-password | admin users */
export async function adminCommand(sub: string | undefined, flags: Flags): Promise<number> {
  if (sub === 'hash-password') {
    const pw = await readPassword();
    if (pw.length < MIN_LENGTH) {
      process.stderr.write(`a password of at least ${MIN_LENGTH} characters, please (a passphrase of a few words is easy to type and hard to guess)\n`);
      return 1;
    }
    process.stdout.write(`${await hashPassword(pw)}\n`);
    return 0;
  }
  if (sub === 'users') {
    const config = loadConfig(flags);
    const users = loadUsers(config.adminUsersFile);
    if (!users.size) {
      process.stdout.write(`no admin users in ${config.adminUsersFile}: /admin and the console refuse everyone\n`);
      return 0;
    }
    for (const u of users.values()) {
      const demo = await verifyPassword(`${u.role}-demo`, u.password);
      process.stdout.write(`${u.name.padEnd(24)} ${u.role}${demo ? '   DEMO PASSWORD: replace it before anyone else can reach the gateway' : ''}\n`);
    }
    return 0;
  }
  process.stderr.write(`usage:\n${ADMIN_USAGE}`);
  return 2;
}

/** The password: typed twice at a terminal (not echoed), or the first line of stdin. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  const ask = (prompt: string) => new Promise<string>((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => { if (s.startsWith(prompt)) process.stderr.write(prompt); };
    rl.question(prompt, (a) => { rl.close(); process.stderr.write('\n'); resolve(a); });
  });
  const a = await ask('password: ');
  const b = await ask('again: ');
  if (a !== b) throw new Error('the two passwords differ');
  return a;
}
