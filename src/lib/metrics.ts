import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the gauges read when Prometheus scrapes: the engine's queue and its trainings. */
export interface LoadProbe {
  queueDepth: number;
  trainings: number;
}

/**
 * The gateway's Prometheus metrics, one registry per gateway (tests run several in a process,
 * and prom-client's global registry would refuse a second set of the same names). Labels are
 * bounded sets: root fields of the schema, error codes from the registry, never client input.
 */
export class Metrics {
  readonly registry = new Registry();
  private loadProbe: () => LoadProbe | null = () => null;

  readonly requests = new Counter({
    name: 'lookout_graphql_requests_total',
    help: 'GraphQL operations by root field and outcome (ok, or the first error code).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly detectionSeconds = new Histogram({
    name: 'lookout_detection_duration_seconds',
    help: 'Time of one detection from a checked image to its result, by where the answer came from (cache or engine).',
    labelNames: ['source'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'lookout_cache_lookups_total',
    help: 'Result cache lookups by detection, hit or miss.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly trainingsFinished = new Counter({
    name: 'lookout_trainings_finished_total',
    help: 'Trainings this replica finished, by outcome (trained or failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'lookout_redis_errors_total',
    help: 'Redis commands or connections that failed (each answered as a cache miss).',
    registers: [this.registry],
  });

  readonly uploadBytes = new Counter({
    name: 'lookout_upload_bytes_total',
    help: 'Image bytes received, by route (multipart GraphQL, out-of-band PUT, Lookout for Vision protocol).',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lookout_' });
    // collect() runs with the gauge as `this`; these reach the rest of the class.
    const lookups = this.cacheLookups;
    const load = () => this.loadProbe();
    new Gauge({
      name: 'lookout_cache_hit_ratio',
      help: 'Share of detections answered from the cache since start (hits / lookups).',
      registers: [this.registry],
      async collect() {
        const values = (await lookups.get()).values;
        const count = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
        const total = count('hit') + count('miss');
        this.set(total ? count('hit') / total : 0);
      },
    });
    new Gauge({
      name: 'lookout_engine_queue_depth',
      help: 'Images waiting for the embedded engine.',
      registers: [this.registry],
      collect() {
        this.set(load()?.queueDepth ?? 0);
      },
    });
    new Gauge({
      name: 'lookout_trainings_active',
      help: 'Trainings running or waiting in this replica.',
      registers: [this.registry],
      collect() {
        this.set(load()?.trainings ?? 0);
      },
    });
  }

  /** Where the gauges read the engine's load (set once the backend exists). */
  probeLoad(probe: () => LoadProbe | null): void {
    this.loadProbe = probe;
  }
}
