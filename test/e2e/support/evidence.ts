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
