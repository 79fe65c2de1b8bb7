// Prometheus text exposition of the relay's counters, gauges and latency histograms.
// Labels are fixed, low-cardinality names (route, frame type, error code): never content,
// member IDs, group IDs or IPs.

const BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

class Histogram {
  readonly counts = new Array<number>(BUCKETS_SECONDS.length).fill(0);
  count = 0;
  sum = 0;
  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < BUCKETS_SECONDS.length; i++) if (seconds <= BUCKETS_SECONDS[i]!) this.counts[i]!++;
  }
}

export class Metrics {
  connections = 0;
  messagesStored = 0;
  deliveries = 0;
  logEntries = 0;
  commitBatches = 0;
  slowSockets = 0;
  readonly errors = new Map<string, number>();
  readonly backgroundFailures = new Map<string, number>();
  readonly httpRequests = new Map<string, number>();
  readonly commitLatency = new Histogram();
  readonly httpLatency = new Histogram();
  dbSizeBytes = 0;

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** A periodic task (cursor flush, retention sweep...) that threw; it runs again on its next tick. */
  backgroundFailure(task: string): void {
    this.backgroundFailures.set(task, (this.backgroundFailures.get(task) ?? 0) + 1);
  }

  http(route: string, status: number, seconds: number): void {
    const key = `${route}|${status}`;
    this.httpRequests.set(key, (this.httpRequests.get(key) ?? 0) + 1);
    this.httpLatency.observe(seconds);
  }

  render(): string {
    const out: string[] = [];
    const gauge = (name: string, help: string, v: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    const counter = (name: string, help: string, v: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`);
    gauge('relay_connections', 'Open authenticated WebSocket connections.', this.connections);
    counter('relay_messages_total', 'Messages stored (acknowledged after commit).', this.messagesStored);
    counter('relay_deliveries_total', 'Message frames pushed to devices.', this.deliveries);
    counter('relay_log_entries_total', 'Log entries appended.', this.logEntries);
    counter('relay_commit_batches_total', 'Group-commit transactions.', this.commitBatches);
    counter('relay_slow_socket_episodes_total', 'Times a socket went over the soft limit and switched to catch-up.', this.slowSockets);
    gauge('relay_database_size_bytes', 'Size of the database files (main, -wal, -shm).', this.dbSizeBytes);
    out.push('# HELP relay_errors_total Errors returned to devices, by stable code.', '# TYPE relay_errors_total counter');
    for (const [code, n] of [...this.errors].sort()) out.push(`relay_errors_total{code="${code}"} ${n}`);
    out.push('# HELP relay_background_failures_total Periodic tasks that failed and will run again, by task.', '# TYPE relay_background_failures_total counter');
    for (const [task, n] of [...this.backgroundFailures].sort()) out.push(`relay_background_failures_total{task="${task}"} ${n}`);
    out.push('# HELP relay_http_requests_total HTTP requests by route pattern and status.', '# TYPE relay_http_requests_total counter');
    for (const [key, n] of [...this.httpRequests].sort()) {
      const [route, status] = key.split('|');
      out.push(`relay_http_requests_total{route="${route}",status="${status}"} ${n}`);
    }
    histogram(out, 'relay_commit_seconds', 'Time from a send arriving to its commit.', this.commitLatency);
    histogram(out, 'relay_http_request_seconds', 'HTTP request handling time.', this.httpLatency);
    return out.join('\n') + '\n';
  }
}

function histogram(out: string[], name: string, help: string, h: Histogram): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (let i = 0; i < BUCKETS_SECONDS.length; i++) out.push(`${name}_bucket{le="${BUCKETS_SECONDS[i]}"} ${h.counts[i]}`);
  out.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
}
