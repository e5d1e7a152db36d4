/**
 * The report, when a batch ends, by email (nodemailer over SMTP; STARTTLS required unless the
 * profile says none, certificates verified) and as JSON to a webhook (three tries). A failure
 * to notify is recorded in the report and never loses the batch's results.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../sleep.js';
import type { BatchProfile } from './batch-profile.js';
import { formatReportText, type BatchReport } from './batch-report.js';
import { postJson } from './post-json.js';
import { webhookHeaders } from './webhook-auth.js';

const WEBHOOK_TRIES = 3;

async function sendEmail(
  email: NonNullable<NonNullable<BatchProfile['notify']>['email']>,
  report: BatchReport,
  password: string | undefined,
): Promise<void> {
  const secure = email.security === 'tls';
  // Loaded on first use (a dynamic import, which bundlers follow): only a batch that sends
  // mail needs nodemailer, and loading it costs every start about 45 ms.
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: email.host,
    port: email.port ?? (secure ? 465 : 587),
    secure,
    requireTLS: email.security === 'starttls',
    ignoreTLS: email.security === 'none',
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    tls: {
      rejectUnauthorized: !email.ignoreCertificateErrors,
      ...(email.caFile ? { ca: [readFileSync(email.caFile, 'utf8')] } : {}),
    },
    ...(email.username ? { auth: { user: email.username, pass: password ?? '' } } : {}),
  });
  try {
    const t = report.totals;
    await transport.sendMail({
      from: email.from,
      to: email.to,
      subject: `[imap-connector] ${report.name}: ${report.status} (${t.done} of ${t.mailboxes} mailboxes, ${t.copied} messages copied)`,
      text: formatReportText(report),
      attachments: [
        {
          filename: `${report.name}-run${report.runId}.report.json`,
          content: JSON.stringify(report, null, 2),
          contentType: 'application/json',
        },
      ],
    });
  } finally {
    transport.close();
  }
}

/** The report to the webhook; an answer a retry could change (5xx, 429, no answer) is tried again. */
async function postWebhook(
  webhook: NonNullable<NonNullable<BatchProfile['notify']>['webhook']>,
  report: BatchReport,
): Promise<void> {
  const { url } = webhook;
  const body = JSON.stringify(report);
  let last: unknown;
  for (let attempt = 1; attempt <= WEBHOOK_TRIES; attempt++) {
    try {
      // Signed anew for each try: the timestamp is the call's.
      return await postJson(url, body, 30_000, webhookHeaders(webhook, body));
    } catch (error) {
      last = error;
      const status = (error as { status?: number }).status;
      if (status !== undefined && status < 500 && status !== 429) break;
    }
    if (attempt < WEBHOOK_TRIES) await sleep(500 * 2 ** (attempt - 1));
  }
  throw last;
}

/** Sends the report where the profile says, when it says (success, failure); records each outcome in it. */
export async function notify(
  profile: BatchProfile,
  report: BatchReport,
  smtpPassword: string | undefined,
): Promise<void> {
  const settings = profile.notify;
  if (!settings) return;
  const outcome = report.status === 'done' ? 'success' : 'failure';
  if (!settings.on.includes(outcome)) return;
  const message = (error: unknown): string =>
    ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 300);
  if (settings.email) {
    try {
      await sendEmail(settings.email, report, smtpPassword);
      report.notifications.push({ channel: 'email', ok: true });
    } catch (error) {
      report.notifications.push({ channel: 'email', ok: false, error: message(error) });
    }
  }
  if (settings.webhook) {
    try {
      await postWebhook(settings.webhook, report);
      report.notifications.push({ channel: 'webhook', ok: true });
    } catch (error) {
      report.notifications.push({ channel: 'webhook', ok: false, error: message(error) });
    }
  }
}
