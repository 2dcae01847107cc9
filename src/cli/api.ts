import type { Command } from 'commander';
import { hashPassword } from '../api/passwords.ts';
import { USERS_VAR } from '../api/settings.ts';
import { InputError } from '../errors.ts';

/** The password from stdin: typed at a prompt without echo, or piped. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (input.isTTY) {
    process.stderr.write('password (not shown): ');
    input.setRawMode(true);
  }
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) {
    text += chunk as string;
    if (input.isTTY && /[\r\n\u0003\u0004]/.test(text)) break;
  }
  if (input.isTTY) {
    input.setRawMode(false);
    process.stderr.write('\n');
    if (text.includes('\u0003')) throw new InputError(['cancelled']);
  }
  return text.replace(/[\r\n\u0004]+$/, '').split(/[\r\n]/)[0]!;
}

/** `alpha-panda api hash-password`: a password hash for API_USERS. */
export function addApiCommand(program: Command): Command {
  const cmd = program.command('api').description('the HTTP API (served by run --http): its users');
  cmd
    .command('hash-password')
    .description(`reads a password on stdin and prints its scrypt hash, for ${USERS_VAR}="name:<hash>,..."`)
    .action(async () => {
      const password = await readPassword();
      if (password.length < 8) throw new InputError(['the password must be at least 8 characters']);
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
  return cmd;
}
