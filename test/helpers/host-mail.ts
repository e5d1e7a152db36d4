/** Numbered mail for the host adapter tests: subjects say folder and number, so rows are easy to check. */
import type { SeedMessage } from './seed.js';

export function numberedMail(folder: string, from: number, count: number): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      source: [
        'From: Sender <sender@example.com>',
        'To: Team <team@example.com>',
        `Subject: ${folder} ${n}`,
        `Message-ID: <${folder.toLowerCase()}-${n}@example.com>`,
        'Date: Mon, 01 Jan 2024 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Message ${n} in ${folder}.`,
        '',
      ].join('\r\n'),
    };
  });
}

export function subjects(folder: string, from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${folder} ${from + i}`);
}
