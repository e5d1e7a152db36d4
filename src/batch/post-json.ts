/**
 * POSTs JSON text to a URL (the notification and provisioning webhooks), within `timeoutMs`.
 * @throws an Error "HTTP <status>" carrying `status` for an answer that is not 2xx; fetch's own error otherwise.
 */
export async function postJson(
  url: string,
  body: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok)
    throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
}
