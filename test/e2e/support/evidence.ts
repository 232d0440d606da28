/** Sends `POST /evidence` as a browser form would: the disputeId field, then the file. */
export async function uploadEvidence(
  baseUrl: string,
  options: {
    token?: string;
    disputeId?: string;
    content?: Uint8Array | string;
    fileField?: string;
    extraFields?: Record<string, string>;
  },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  if (options.disputeId !== undefined) form.append('disputeId', options.disputeId);
  for (const [name, value] of Object.entries(options.extraFields ?? {})) form.append(name, value);
  if (options.content !== undefined) {
    // The declared type is deliberately wrong: the server must look at the bytes.
    form.append(
      options.fileField ?? 'file',
      new Blob([options.content], { type: 'image/png' }),
      'evidence.bin',
    );
  }
  const response = await fetch(`${baseUrl}/evidence`, {
    method: 'POST',
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    body: form,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const BOUNDARY = 'arbiter-e2e-boundary';

/** The start of a multipart body: the disputeId field and the headers of the `file` part. */
export function multipartHead(disputeId: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="disputeId"\r\n\r\n${disputeId}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="e.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
}

/** Request head for a raw `POST /evidence`; `contentLength` undefined means chunked. */
export function evidenceRequestHead(host: string, token: string, contentLength?: number): string {
  return (
    `POST /evidence HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
    (contentLength === undefined
      ? 'Transfer-Encoding: chunked\r\n'
      : `Content-Length: ${contentLength}\r\n`) +
    '\r\n'
  );
}
