// Prometheus lines for the notification dispatcher (appended to /metrics; fixed labels only).
import type { NotifyStats } from './dispatcher';

export function renderNotifyMetrics(stats: NotifyStats, notifier: string): string {
  const lines = ['# HELP relay_notifications_total Off-app wake-ups by result (sent, failed, dropped at a memory or lookup bound).', '# TYPE relay_notifications_total counter'];
  for (const result of ['sent', 'failed', 'dropped'] as const) lines.push(`relay_notifications_total{notifier="${notifier}",result="${result}"} ${stats[result]}`);
  return lines.join('\n') + '\n';
}
