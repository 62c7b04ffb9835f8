// SCAFFOLD: replaced by the dashboards work.
import type { Me, Membership } from '../api';

export function DashboardsPage({ project }: { project: Membership; me: Me }) {
  return <div data-testid="dashboards">{project.name}</div>;
}
