// SaveInsight is the analysis pages' "Save insight" and "Add to dashboard" control: it
// saves the page's current spec as a named insight (optionally straight onto an existing
// or a new dashboard), updates the saved insight the page was opened with, or adds that
// insight to a dashboard. It shows nothing to roles that may not write (the server checks).
import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Select, Space, type ButtonProps } from 'antd';
import type { Membership, Spec } from './api';
import { useStrings } from './i18n';
import { canWrite, dashboardsApi, insightsApi, type Dashboard, type Insight } from './insights';
import { navigate } from './router';

const strings = {
  'zh-CN': {
    save: '保存为洞察',
    update: '更新洞察',
    updated: '已更新洞察',
    addToDashboard: '添加到看板',
    name: '名称',
    description: '描述',
    dashboard: '添加到看板',
    none: '（不添加）',
    newDashboard: '+ 新建看板…',
    newDashboardName: '新看板名称',
    saved: '已保存洞察',
    added: '已添加到看板',
    open: '打开看板',
    required: '请填写名称',
    pickDashboard: '请选择或新建一个看板',
  },
  en: {
    save: 'Save insight',
    update: 'Update insight',
    updated: 'Insight updated',
    addToDashboard: 'Add to dashboard',
    name: 'Name',
    description: 'Description',
    dashboard: 'Add to dashboard',
    none: '(none)',
    newDashboard: '+ New dashboard…',
    newDashboardName: 'New dashboard name',
    saved: 'Insight saved',
    added: 'Added to the dashboard',
    open: 'Open dashboard',
    required: 'Give a name',
    pickDashboard: 'Pick a dashboard or make a new one',
  },
};

// defaultName names a spec after its events: "Product Viewed → Order Completed".
export function defaultName(spec: Spec): string {
  switch (spec.kind) {
    case 'funnel':
      return (spec.steps ?? []).map((s) => s.event).join(' → ');
    case 'retention':
      return `${spec.start_event?.event ?? ''} ↩ ${spec.return_event?.event ?? ''}`;
    case 'products':
      return `${spec.event ?? 'Order Completed'}: top ${spec.limit ?? 10} products by ${spec.sort ?? 'revenue'}`;
    default:
      return (spec.series ?? []).map((s) => s.event + (s.math && s.math !== 'total' ? ` (${s.math})` : '')).join(', ');
  }
}

const NEW = -1;

export function SaveInsight({
  project,
  getSpec,
  insight,
  onSaved,
}: {
  project: Membership;
  getSpec: () => Spec;
  insight?: Insight;
  onSaved?: (i: Insight) => void;
}) {
  const s = useStrings(strings);
  const { message } = App.useApp();
  const [mode, setMode] = useState<'save' | 'add'>();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [dashboard, setDashboard] = useState<number>(0);
  const [newName, setNewName] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  if (!canWrite(project)) return null;

  const open = async (m: 'save' | 'add') => {
    setMode(m);
    setErr('');
    setName(m === 'save' ? defaultName(getSpec()).slice(0, 200) : '');
    setDescription('');
    setDashboard(m === 'add' ? NEW : 0);
    setNewName('');
    try {
      const l = await dashboardsApi.list(project.id);
      setDashboards(l);
      if (m === 'add') setDashboard(l.find((d) => !insight?.dashboards.includes(d.id))?.id ?? NEW);
    } catch (e) {
      setErr((e as Error).message);
    }
  };

  const ok = async () => {
    setErr('');
    if (mode === 'save' && !name.trim()) return setErr(s.required);
    if (dashboard === NEW && !newName.trim()) return setErr(s.pickDashboard);
    setBusy(true);
    try {
      let target = dashboard;
      if (target === NEW) {
        // Made once: should saving the insight fail, a retry uses this dashboard.
        const d = await dashboardsApi.create(project.id, newName.trim());
        target = d.id;
        setDashboards((l) => [...l, d]);
        setDashboard(d.id);
      }
      let saved: Insight;
      if (mode === 'save') {
        saved = await insightsApi.create(project.id, { name: name.trim(), description: description.trim(), spec: getSpec(), dashboard_id: target || undefined });
      } else {
        await dashboardsApi.add(project.id, target, insight!.id);
        saved = { ...insight!, dashboards: [...insight!.dashboards, target] };
      }
      setBusy(false);
      setMode(undefined);
      // The page now shows the saved insight: its address opens it again.
      if (mode === 'save') history.replaceState(null, '', `${location.pathname}?insight=${saved.id}`);
      onSaved?.(saved);
      message.success({
        content: (
          <span data-testid="insight-saved">
            {mode === 'save' ? s.saved : s.added}
            {target > 0 && (
              <Button type="link" size="small" onClick={() => navigate(`/dashboards/${target}`)} data-testid="open-saved-dashboard">
                {s.open}
              </Button>
            )}
          </span>
        ),
      });
    } catch (e) {
      setErr((e as Error).message);
      setBusy(false);
    }
  };

  const update = async () => {
    setBusy(true);
    try {
      const saved = await insightsApi.update(project.id, insight!.id, { spec: getSpec() });
      onSaved?.(saved);
      message.success(s.updated);
    } catch (e) {
      message.error({ content: <span data-testid="error">{(e as Error).message}</span> });
    } finally {
      setBusy(false);
    }
  };

  const options = [
    ...(mode === 'save' ? [{ value: 0, label: s.none }] : []),
    { value: NEW, label: s.newDashboard },
    ...dashboards.map((d) => ({ value: d.id, label: d.name, disabled: mode === 'add' && insight?.dashboards.includes(d.id) })),
  ];
  return (
    <>
      <Space wrap>
        <Button onClick={() => open('save')} data-testid="save-insight">
          {s.save}
        </Button>
        {insight && (
          <>
            <Button onClick={update} loading={busy && !mode} data-testid="update-insight">
              {s.update}
            </Button>
            <Button onClick={() => open('add')} data-testid="add-to-dashboard">
              {s.addToDashboard}
            </Button>
          </>
        )}
      </Space>
      {mode && (
        <Modal
          open={!!mode}
          title={mode === 'add' ? `${s.addToDashboard}: ${insight?.name ?? ''}` : s.save}
          onOk={ok}
          onCancel={() => setMode(undefined)}
          confirmLoading={busy}
          okButtonProps={{ 'data-testid': 'save-insight-ok' } as ButtonProps}
          destroyOnHidden
        >
          <Form layout="vertical">
            {mode === 'save' && (
              <>
                <Form.Item label={s.name} required>
                  <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="insight-name" />
                </Form.Item>
                <Form.Item label={s.description}>
                  <Input.TextArea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} rows={2} />
                </Form.Item>
              </>
            )}
            <Form.Item label={s.dashboard}>
              <Select
                value={dashboard}
                onChange={setDashboard}
                options={options}
                showSearch
                optionFilterProp="label"
                data-testid="insight-dashboard"
              />
            </Form.Item>
            {dashboard === NEW && (
              <Form.Item label={s.newDashboardName} required>
                <Input value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={200} data-testid="new-dashboard-name" />
              </Form.Item>
            )}
          </Form>
          {err && <Alert type="error" message={err} data-testid="error" />}
        </Modal>
      )}
    </>
  );
}
