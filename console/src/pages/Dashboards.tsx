// Dashboards (数据看板): the project's dashboards (create, rename, delete), one dashboard as
// a grid of its saved insights (each card drawn by InsightView from the cached result, with
// when it was computed; refresh per card or all, reorder, remove, rename, share a link), and
// the list of saved insights (open one in its analysis page, delete). Paths: /dashboards,
// /dashboards/insights and /dashboards/{id} (the share link: any member of the project can
// open it). Write actions show for analysts and up; the server checks again.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Card, Col, Empty, Input, Modal, Popconfirm, Row, Select, Space, Table, Tabs, Tag, Tooltip, Typography, type ButtonProps } from 'antd';
import { ApiError, rangeFor, runQuery, type DateRange, type Me, type Membership } from '../api';
import { useI18n, useStrings } from '../i18n';
import { InsightView } from '../InsightView';
import { canWrite, dashboardsApi, insightsApi, pageOfKind, type CachedAnswer, type Dashboard, type Insight } from '../insights';
import { navigate, pathRest, usePath } from '../router';
import { fmtTime as fmtZoned } from '../widgets';

const strings = {
  'zh-CN': {
    dashboardsTab: '看板',
    insightsTab: '已保存的洞察',
    newDashboard: '新建看板',
    name: '名称',
    items: '洞察数',
    updated: '更新于',
    actions: '操作',
    rename: '重命名',
    delete: '删除',
    confirmDeleteDashboard: '删除这个看板？其中的洞察会保留。',
    confirmDeleteInsight: '删除这个洞察？它会从所有看板上移除。',
    noDashboards: '还没有看板。在事件、漏斗或留存分析里点「保存为洞察」，即可把结果加到新看板。',
    noInsights: '还没有保存的洞察。在事件、漏斗或留存分析里点「保存为洞察」。',
    emptyDashboard: '这个看板还没有洞察。在事件、漏斗或留存分析里保存洞察并添加到此看板。',
    back: '← 全部看板',
    refreshAll: '全部刷新',
    ownRange: '各卡片自己的时间范围',
    rangeHint: '看板上的每张卡片都改用这个时间范围（只改变本次查看，不修改已保存的分析）',
    share: '复制链接',
    shareTitle: '分享看板',
    shareHint: '项目成员登录后可通过此链接打开看板。',
    copied: '链接已复制',
    refresh: '刷新',
    moveUp: '上移',
    moveDown: '下移',
    removeFromDashboard: '从看板移除',
    confirmRemove: '把这个洞察从看板移除？洞察本身会保留。',
    cached: '缓存',
    fresh: '新计算',
    kind: '类型',
    onDashboards: '所在看板',
    open: '打开',
    renamed: '已重命名',
    created: '已创建看板',
    deleted: '已删除',
    nameRequired: '请填写名称',
    readOnly: '你的角色只能查看看板；保存和修改需要分析师或更高角色。',
    trends: '事件分析',
    funnel: '漏斗分析',
    retention: '留存分析',
    products: '商品排行',
    notFound: '找不到这个看板',
    notFoundHint: '看板 #{id} 不存在，可能已被删除，或不属于当前项目。',
    toList: '返回看板列表',
  },
  en: {
    dashboardsTab: 'Dashboards',
    insightsTab: 'Saved insights',
    newDashboard: 'New dashboard',
    name: 'Name',
    items: 'Insights',
    updated: 'Updated',
    actions: 'Actions',
    rename: 'Rename',
    delete: 'Delete',
    confirmDeleteDashboard: 'Delete this dashboard? Its insights stay.',
    confirmDeleteInsight: 'Delete this insight? It leaves every dashboard.',
    noDashboards: 'No dashboards yet. In Trends, Funnel or Retention, "Save insight" puts a result on a new dashboard.',
    noInsights: 'No saved insights yet. Use "Save insight" in Trends, Funnel or Retention.',
    emptyDashboard: 'This dashboard has no insights yet. Save one in Trends, Funnel or Retention and add it here.',
    back: '← All dashboards',
    refreshAll: 'Refresh all',
    ownRange: "Each card's own range",
    rangeHint: 'Every card uses this range (for this view only: the saved insights keep theirs)',
    share: 'Copy link',
    shareTitle: 'Share dashboard',
    shareHint: 'Members of the project open the dashboard with this link after signing in.',
    copied: 'Link copied',
    refresh: 'Refresh',
    moveUp: 'Move up',
    moveDown: 'Move down',
    removeFromDashboard: 'Remove from dashboard',
    confirmRemove: 'Take this insight off the dashboard? The insight itself stays.',
    cached: 'cached',
    fresh: 'fresh',
    kind: 'Kind',
    onDashboards: 'Dashboards',
    open: 'Open',
    renamed: 'Renamed',
    created: 'Dashboard created',
    deleted: 'Deleted',
    nameRequired: 'Give a name',
    readOnly: 'Your role can view dashboards; saving and changing them takes the analyst role or higher.',
    trends: 'Trends',
    funnel: 'Funnel',
    retention: 'Retention',
    products: 'Products',
    notFound: 'Dashboard not found',
    notFoundHint: 'Dashboard #{id} does not exist: it may have been deleted, or belong to another project.',
    toList: 'Back to the dashboards',
  },
};

type S = (typeof strings)['en'];

const kindLabel = (s: S, kind: string) => (s as Record<string, string>)[kind] ?? kind;

export function DashboardsPage({ project }: { project: Membership; me: Me }) {
  const { t } = useI18n();
  const s = useStrings(strings);
  const rest = pathRest(usePath());
  const id = /^\d+$/.test(rest) ? Number(rest) : 0;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="dashboards">
      {id ? (
        <DashboardView key={id} project={project} id={id} s={s} />
      ) : (
        <>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('dashboards')}
          </Typography.Title>
          {!canWrite(project) && <Alert type="info" showIcon message={s.readOnly} />}
          <Tabs
            activeKey={rest === 'insights' ? 'insights' : 'dashboards'}
            onChange={(k) => navigate(k === 'insights' ? '/dashboards/insights' : '/dashboards')}
            items={[
              { key: 'dashboards', label: <span data-testid="tab-dashboards">{s.dashboardsTab}</span>, children: <DashboardList project={project} s={s} /> },
              { key: 'insights', label: <span data-testid="tab-insights">{s.insightsTab}</span>, children: <InsightList project={project} s={s} /> },
            ]}
          />
        </>
      )}
    </Space>
  );
}

// NameDialog asks for a name (creating or renaming). Render it only while open: a closed
// antd Modal keeps its last rendering, which would leave a loading OK button in the page.
function NameDialog({ open, title, initial, onOk, onClose, s }: { open: boolean; title: string; initial: string; onOk: (name: string) => Promise<void>; onClose: () => void; s: S }) {
  const [name, setName] = useState(initial);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setName(initial);
      setErr('');
    }
  }, [open, initial]);
  const ok = async () => {
    if (!name.trim()) return setErr(s.nameRequired);
    setBusy(true);
    setErr('');
    try {
      await onOk(name.trim());
      setBusy(false);
      onClose();
    } catch (e) {
      setErr((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={title} onOk={ok} onCancel={onClose} confirmLoading={busy} okButtonProps={{ 'data-testid': 'name-ok' } as ButtonProps} destroyOnHidden>
      <Input value={name} onChange={(e) => setName(e.target.value)} onPressEnter={ok} maxLength={200} placeholder={s.name} data-testid="name-input" autoFocus />
      {err && <Alert style={{ marginTop: 12 }} type="error" message={err} data-testid="error" />}
    </Modal>
  );
}

// fmtTime shows an instant in the project's time zone, as the rest of the console does.
function fmtTime(v: string, lang: string, timeZone?: string) {
  return fmtZoned(v, lang, timeZone);
}

// useRemovableList loads a project's dashboards or insights and deletes one (then reloads);
// errors of either go to err.
function useRemovableList<T extends { id: number }>(
  project: number,
  source: { list: (p: number) => Promise<T[]>; remove: (p: number, id: number) => Promise<unknown> },
  onDeleted: () => void,
) {
  const [list, setList] = useState<T[]>();
  const [err, setErr] = useState('');
  const load = useCallback(async () => {
    try {
      setList(await source.list(project));
    } catch (e) {
      setErr((e as Error).message);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project]);
  useEffect(() => {
    load();
  }, [load]);
  const del = async (item: T) => {
    try {
      await source.remove(project, item.id);
      onDeleted();
      load();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return { list, err, setErr, load, del };
}

function DashboardList({ project, s }: { project: Membership; s: S }) {
  const { lang } = useI18n();
  const { message } = App.useApp();
  const { list, err, setErr, load, del } = useRemovableList(project.id, dashboardsApi, () => message.success(s.deleted));
  const [dialog, setDialog] = useState<{ mode: 'create' } | { mode: 'rename'; d: Dashboard }>();
  const write = canWrite(project);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {write && (
        <Button type="primary" onClick={() => setDialog({ mode: 'create' })} data-testid="new-dashboard">
          + {s.newDashboard}
        </Button>
      )}
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Table
        size="small"
        rowKey="id"
        loading={!list && !err}
        dataSource={list ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={s.noDashboards} /> }}
        data-testid="dashboard-list"
        columns={[
          {
            title: s.name,
            dataIndex: 'name',
            render: (v: string, d: Dashboard) => (
              <a onClick={() => navigate(`/dashboards/${d.id}`)} data-testid="dashboard-link">
                {v}
              </a>
            ),
          },
          { title: s.items, dataIndex: 'item_count', align: 'right' as const, width: 100 },
          { title: s.updated, dataIndex: 'updated_at', width: 200, render: (v: string) => fmtTime(v, lang, project.timezone) },
          ...(write
            ? [
                {
                  title: s.actions,
                  key: 'actions',
                  width: 180,
                  render: (_: unknown, d: Dashboard) => (
                    <Space>
                      <a onClick={() => setDialog({ mode: 'rename', d })}>{s.rename}</a>
                      <Popconfirm title={s.confirmDeleteDashboard} onConfirm={() => del(d)}>
                        <a data-testid="delete-dashboard">{s.delete}</a>
                      </Popconfirm>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      {dialog && (
        <NameDialog
          open={!!dialog}
          title={dialog?.mode === 'rename' ? s.rename : s.newDashboard}
          initial={dialog?.mode === 'rename' ? dialog.d.name : ''}
          onClose={() => setDialog(undefined)}
          s={s}
          onOk={async (name) => {
            if (dialog?.mode === 'rename') {
              await dashboardsApi.update(project.id, dialog.d.id, { name });
              message.success(s.renamed);
              load();
            } else {
              const d = await dashboardsApi.create(project.id, name);
              message.success(s.created);
              navigate(`/dashboards/${d.id}`);
            }
          }}
        />
      )}
    </Space>
  );
}

function InsightList({ project, s }: { project: Membership; s: S }) {
  const { lang } = useI18n();
  const { message } = App.useApp();
  const { list, err, load, del } = useRemovableList(project.id, insightsApi, () => message.success(s.deleted));
  const write = canWrite(project);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Table
        size="small"
        rowKey="id"
        loading={!list && !err}
        dataSource={list ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={s.noInsights} /> }}
        data-testid="insight-list"
        columns={[
          {
            title: s.name,
            dataIndex: 'name',
            render: (v: string, i: Insight) => (
              <Space direction="vertical" size={0}>
                <a onClick={() => navigate(`${pageOfKind(i.spec.kind)}?insight=${i.id}`)} data-testid="insight-link">
                  {v}
                </a>
                {i.description && <Typography.Text type="secondary">{i.description}</Typography.Text>}
              </Space>
            ),
          },
          { title: s.kind, key: 'kind', width: 120, render: (_: unknown, i: Insight) => kindLabel(s, i.spec.kind) },
          { title: s.onDashboards, key: 'dashboards', width: 110, align: 'right' as const, render: (_: unknown, i: Insight) => i.dashboards.length },
          { title: s.updated, dataIndex: 'updated_at', width: 200, render: (v: string) => fmtTime(v, lang, project.timezone) },
          ...(write
            ? [
                {
                  title: s.actions,
                  key: 'actions',
                  width: 100,
                  render: (_: unknown, i: Insight) => (
                    <Popconfirm title={s.confirmDeleteInsight} onConfirm={() => del(i)}>
                      <a data-testid="delete-insight">{s.delete}</a>
                    </Popconfirm>
                  ),
                },
              ]
            : []),
        ]}
      />
    </Space>
  );
}

function DashboardView({ project, id, s }: { project: Membership; id: number; s: S }) {
  const { message } = App.useApp();
  const [dash, setDash] = useState<Dashboard>();
  const [items, setItems] = useState<Insight[]>([]);
  const [err, setErr] = useState('');
  const [tick, setTick] = useState(0); // bumped by "refresh all": every card recomputes
  const [renaming, setRenaming] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [missing, setMissing] = useState(false); // the dashboard does not exist (404)
  const write = canWrite(project);
  const { t } = useI18n();
  // A range for every card (0: each card's own), kept in the address (?days=7) so a shared
  // link shows the same.
  const [days, setDays] = useState(() => {
    const d = Number(new URLSearchParams(location.search).get('days'));
    return [7, 14, 30, 90].includes(d) ? d : 0;
  });
  const chooseDays = (d: number) => {
    setDays(d);
    const q = new URLSearchParams(location.search);
    if (d) q.set('days', String(d));
    else q.delete('days');
    history.replaceState(history.state, '', location.pathname + (q.size ? '?' + q : ''));
  };
  const range = days ? rangeFor(days).current : undefined;
  const link = `${location.origin}/dashboards/${id}${days ? '?days=' + days : ''}`;

  const load = useCallback(async () => {
    try {
      const d = await dashboardsApi.get(project.id, id);
      setDash(d);
      setItems(d.items ?? []);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setErr((e as Error).message);
    }
  }, [project.id, id]);
  useEffect(() => {
    load();
  }, [load]);

  const move = async (i: number, by: number) => {
    const next = [...items];
    const [it] = next.splice(i, 1);
    next.splice(i + by, 0, it);
    setItems(next);
    try {
      await dashboardsApi.reorder(project.id, id, next.map((x) => x.id));
    } catch (e) {
      setErr((e as Error).message);
      load();
    }
  };
  const remove = async (insight: number) => {
    try {
      await dashboardsApi.removeItem(project.id, id, insight);
      setItems((l) => l.filter((x) => x.id !== insight));
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  const del = async () => {
    try {
      await dashboardsApi.remove(project.id, id);
      message.success(s.deleted);
      navigate('/dashboards');
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  const share = async () => {
    setSharing(true);
    try {
      await navigator.clipboard.writeText(link);
      message.success(s.copied);
    } catch {
      /* no clipboard permission (e.g. plain HTTP): the dialog shows the link to copy */
    }
  };

  if (missing)
    return (
      <>
        <a onClick={() => navigate('/dashboards')} data-testid="back-to-dashboards">
          {s.back}
        </a>
        <Empty
          data-testid="dashboard-not-found"
          description={
            <Space direction="vertical" size={2}>
              <Typography.Text strong>{s.notFound}</Typography.Text>
              <Typography.Text type="secondary">{s.notFoundHint.replace('{id}', String(id))}</Typography.Text>
            </Space>
          }
        >
          <Button type="primary" onClick={() => navigate('/dashboards')} data-testid="to-dashboards">
            {s.toList}
          </Button>
        </Empty>
      </>
    );

  return (
    <>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Space direction="vertical" size={0}>
          <a onClick={() => navigate('/dashboards')} data-testid="back-to-dashboards">
            {s.back}
          </a>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="dashboard-title">
            {dash?.name ?? '…'}
          </Typography.Title>
          {dash?.description && <Typography.Text type="secondary">{dash.description}</Typography.Text>}
        </Space>
        <Space wrap>
          <Tooltip title={s.rangeHint}>
            <Select
              value={days}
              onChange={chooseDays}
              style={{ width: 200 }}
              data-testid="dashboard-range"
              options={[
                { value: 0, label: s.ownRange },
                { value: 7, label: t('last7') },
                { value: 14, label: t('last14') },
                { value: 30, label: t('last30') },
                { value: 90, label: t('last90') },
              ]}
            />
          </Tooltip>
          <Button onClick={() => setTick((n) => n + 1)} disabled={!dash || !items.length} data-testid="refresh-dashboard">
            {s.refreshAll}
          </Button>
          <Button onClick={share} disabled={!dash} data-testid="share-dashboard">
            {s.share}
          </Button>
          {write && dash && (
            <>
              <Button onClick={() => setRenaming(true)} data-testid="rename-dashboard">
                {s.rename}
              </Button>
              <Popconfirm title={s.confirmDeleteDashboard} onConfirm={del}>
                <Button danger data-testid="delete-this-dashboard">
                  {s.delete}
                </Button>
              </Popconfirm>
            </>
          )}
        </Space>
      </Space>
      {err && <Alert type="error" message={err} data-testid="error" />}
      {dash && !items.length && <Empty description={s.emptyDashboard} data-testid="empty-dashboard" />}
      <Row gutter={[16, 16]} data-testid="dashboard-grid">
        {items.map((it, i) => (
          <Col key={it.id} xs={24} xl={12}>
            <InsightCard
              project={project}
              insight={it}
              range={range}
              tick={tick}
              s={s}
              write={write}
              onUp={i > 0 ? () => move(i, -1) : undefined}
              onDown={i < items.length - 1 ? () => move(i, 1) : undefined}
              onRemove={() => remove(it.id)}
            />
          </Col>
        ))}
      </Row>
      {renaming && (
        <NameDialog
          open={renaming}
          title={s.rename}
          initial={dash?.name ?? ''}
          onClose={() => setRenaming(false)}
          s={s}
          onOk={async (name) => {
            const d = await dashboardsApi.update(project.id, id, { name });
            setDash(d);
            message.success(s.renamed);
          }}
        />
      )}
      <Modal open={sharing} title={s.shareTitle} onCancel={() => setSharing(false)} footer={null} destroyOnHidden>
        <Typography.Paragraph type="secondary">{s.shareHint}</Typography.Paragraph>
        <Space.Compact style={{ width: '100%' }}>
          <Input value={link} readOnly data-testid="share-link" onFocus={(e) => e.target.select()} />
          <Typography.Text copyable={{ text: link }} style={{ padding: '4px 8px' }} />
        </Space.Compact>
      </Modal>
    </>
  );
}

function InsightCard({
  project,
  insight,
  range,
  tick,
  s,
  write,
  onUp,
  onDown,
  onRemove,
}: {
  project: Membership;
  insight: Insight;
  range?: DateRange; // the dashboard's range, instead of the insight's own
  tick: number;
  s: S;
  write: boolean;
  onUp?: () => void;
  onDown?: () => void;
  onRemove: () => void;
}) {
  const { t, lang } = useI18n();
  const [answer, setAnswer] = useState<CachedAnswer>();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  // With the dashboard's range the card runs its spec with that range (through the result
  // cache as any query); else the insight's own result.
  const spec = range ? { ...insight.spec, date_range: range } : insight.spec;
  const rangeKey = range ? range.from + '/' + range.to : '';
  const load = useCallback(
    async (refresh: boolean) => {
      setBusy(true);
      setErr('');
      try {
        setAnswer(
          range
            ? ({ cached: false, ...(await runQuery(project.id, { ...insight.spec, date_range: range }, refresh)) } as CachedAnswer)
            : await insightsApi.result(project.id, insight.id, refresh),
        );
      } catch (e) {
        setErr((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [project.id, insight.id, insight.spec, rangeKey],
  );
  // "Refresh all" (a new tick) recomputes; a new range or insight only asks again.
  const seenTick = useRef(tick);
  useEffect(() => {
    load(tick !== seenTick.current);
    seenTick.current = tick;
  }, [load, tick]);

  const title = (
    <Tooltip title={insight.description || undefined}>
      <a onClick={() => navigate(`${pageOfKind(insight.spec.kind)}?insight=${insight.id}`)} data-testid="card-title">
        {insight.name}
      </a>
    </Tooltip>
  );
  const extra = (
    <Space size={4}>
      <Button size="small" type="text" onClick={() => load(true)} loading={busy} title={s.refresh} data-testid="refresh-card">
        ↻
      </Button>
      {write && (
        <>
          <Button size="small" type="text" onClick={onUp} disabled={!onUp} title={s.moveUp} data-testid="move-up">
            ↑
          </Button>
          <Button size="small" type="text" onClick={onDown} disabled={!onDown} title={s.moveDown} data-testid="move-down">
            ↓
          </Button>
          <Popconfirm title={s.confirmRemove} onConfirm={onRemove}>
            <Button size="small" type="text" title={s.removeFromDashboard} data-testid="remove-card">
              ✕
            </Button>
          </Popconfirm>
        </>
      )}
    </Space>
  );
  return (
    <Card size="small" title={title} extra={extra} loading={!answer && !err} data-testid="insight-card" style={{ height: '100%' }} styles={{ body: { minHeight: 260 } }}>
      {err ? (
        <Alert type="error" message={err} data-testid="error" />
      ) : (
        <>
          <Space size={8} wrap style={{ marginBottom: 4 }}>
            <Tag>{kindLabel(s, insight.spec.kind)}</Tag>
            {answer && (
              <Typography.Text type="secondary" data-testid="computed-at">
                {t('computedAt')} {fmtTime(answer.computed_at, lang, project.timezone)}
              </Typography.Text>
            )}
            {answer && (
              <Tag color={answer.cached ? 'default' : 'green'} data-testid="cache-state">
                {answer.cached ? s.cached : s.fresh}
              </Tag>
            )}
          </Space>
          <InsightView answer={answer} compact currency={project.currency} spec={spec} />
        </>
      )}
    </Card>
  );
}

