// Container health probe for the gateway and the worker (Dockerfile HEALTHCHECK, docker-compose.yml):
// both serve the health endpoints on PORT. Run by node itself because the slim base image has no
// curl or wget. The path is the first argument, `/health/live` by default: a container's health is
// what orchestrators restart or replace it on (Swarm, ECS), so it asks only whether the process
// serves, never about the database or the projections — restarting cannot fix those, and would
// take healthy gateways down with them. Route traffic on `/health/ready` instead (load balancer,
// Kubernetes readinessProbe): `node tools/docker/healthcheck.mjs /health/ready` probes that.
// Exit 0 only on a 200; a 503 names the failing check, which is printed for `docker inspect`.
const port = process.env.PORT || '3000';
const path = process.argv[2] || '/health/live';
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(4000),
  });
  if (!response.ok) console.error(`${path} answered ${response.status}: ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${path} unreachable: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
