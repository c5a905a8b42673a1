import {
  type HealthServer,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../api/gen/grpc/health/v1/health.js';
import type { Edge } from '../server/grpc.js';

/** grpc.health.v1: tsctrd serves once it answers at all. */
export function healthService(edge: Edge): HealthServer {
  return {
    check: edge.unary('Health.Check', async () => ({ status: Serving.SERVING })),
    watch: edge.stream('Health.Watch', async (_req, _ctx, call) => {
      call.write({ status: Serving.SERVING });
      await new Promise<void>((resolve) => call.on('cancelled', resolve));
    }),
  };
}
