// What the gateway benchmarks share: a GraphQL call over HTTP and a shipped order to dispute.

/** POSTs one GraphQL operation with `variables.input`; throws on errors. */
export async function gql(url: string, bearer: string, query: string, input: unknown) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables: { input } }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { disputeId: string }>;
    errors?: unknown;
  };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as Record<string, { disputeId: string }>;
}

/** The platform records order `orderId` (buyer `<orderId>-b`, seller `<orderId>-s`) and ships it. */
export async function placeShippedOrder(url: string, platform: string, orderId: string) {
  const total = { amountMinor: 10_000, currency: 'EUR' };
  await gql(
    url,
    platform,
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }',
    {
      orderId,
      buyerId: `${orderId}-b`,
      sellerId: `${orderId}-s`,
      total,
      items: [{ sku: 'sku', title: 'Lamp', quantity: 1, unitPrice: total }],
    },
  );
  await gql(
    url,
    platform,
    'mutation($input: ShipOrderInput!) { shipOrder(input: $input) { orderId } }',
    {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'T',
      deliveryDeadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
    },
  );
}
