/**
 * The admin's provisioning hook: creates a destination mailbox that does not exist yet. The
 * mailbox name and password go as JSON on the executable's stdin or in the webhook's request
 * body, never on a command line (where any user of the machine could read them in ps).
 */
import { spawn } from 'node:child_process';
import { redactText } from '../config/redact.js';
import { makeError } from '../errors.js';
import type { BatchProfile } from './batch-profile.js';
import { postJson } from './post-json.js';
import { webhookHeaders } from './webhook-auth.js';

export interface ProvisionRequest {
  /** create: the mailbox does not exist; setPassword: it exists (replace mode) and gets this password. */
  action: 'create' | 'setPassword';
  mailbox: string;
  password: string;
  owner?: string;
}

type Hook = NonNullable<BatchProfile['destination']['provision']>;

function runCommand(command: string[], body: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `exited with ${signal ?? code}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
          ),
        );
    });
    // A hook that does not read its stdin must not make the batch fail with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}

/**
 * Calls the hook for one mailbox.
 * @throws PROVISIONING_FAILED with the hook's own words (the password redacted from them).
 */
export async function provisionMailbox(hook: Hook, request: ProvisionRequest): Promise<void> {
  const body = JSON.stringify(request);
  const timeoutMs = hook.timeoutSeconds * 1000;
  try {
    if (hook.command) await runCommand(hook.command, body, timeoutMs);
    else await postJson(hook.webhook!, body, timeoutMs, webhookHeaders(hook, body));
  } catch (error) {
    throw makeError(
      'PROVISIONING_FAILED',
      `The provisioning hook could not ${request.action === 'create' ? 'create the mailbox' : 'set the password of the mailbox'} ${JSON.stringify(request.mailbox)}: ${redactText((error as Error).message, [request.password])}.`,
      { details: { mailbox: request.mailbox } },
    );
  }
}
