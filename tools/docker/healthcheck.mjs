// Container health probe for the gateway and the worker (Dockerfile HEALTHCHECK, docker-compose.yml):
// both serve GET /health on PORT. Run by node itself because the slim base image has no curl or wget.
// Exit 0 only on a 200; /health answers 503 naming the failing check, which is printed for
// `docker inspect` to show.
const port = process.env.PORT || '3000';
try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, {
    signal: AbortSignal.timeout(4000),
  });
  if (!response.ok) console.error(`/health answered ${response.status}: ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`/health unreachable: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
