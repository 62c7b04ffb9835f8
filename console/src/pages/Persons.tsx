// Persons (用户细查): search a project's persons by any distinct id (prefix) or trait value,
// and open one person's profile: identifiers, traits, first and last seen, orders and the
// event timeline, newest first, paged with "load more". Routed at /persons and
// /persons/{distinct_id}; other pages link a person with personPath(). The server merges
// identities: a person's profile and timeline include the persons merged into them.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Col, Descriptions, Empty, Input, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { api, useErrorText, type Me, type Membership } from '../api';
import { eventDefinitions } from '../definitions';
import { useI18n, useStrings } from '../i18n';
import { navigate, pathRest, usePath } from '../router';

const strings = {
  'zh-CN': {
    title: '用户细查',
    intro: '按任一用户标识（会员 ID、匿名设备 ID 等，支持前缀）或属性值搜索用户；用 key=value 精确匹配某个属性，例如 city=上海。',
    search: '搜索用户 ID、设备 ID 或属性值',
    searchBtn: '搜索',
    person: '用户',
    identifiers: '用户标识',
    traits: '用户属性',
    firstSeen: '首次访问',
    lastSeen: '最近访问',
    events: '事件数',
    next: '下一页',
    prev: '上一页',
    back: '返回搜索',
    noPersons: '没有匹配的用户',
    user: '会员',
    anonymous: '匿名',
    id: '标识',
    kind: '类型',
    key: '属性',
    value: '值',
    noTraits: '暂无属性',
    orders: '订单',
    orderCount: '订单数',
    orderTotal: '订单金额',
    refunds: '退款',
    net: '净额',
    cancelled: '已取消',
    recentOrders: '最近订单',
    orderId: '订单号',
    time: '时间',
    event: '事件',
    amount: '金额',
    products: '商品数',
    noOrders: '暂无订单',
    timeline: '行为序列',
    loadMore: '加载更多',
    noEvents: '暂无事件',
    end: '已到最早的事件',
    merged: '含合并的 {n} 个用户',
    personId: '用户编号',
    details: '主要属性',
    completed: '已完成',
    refunded: '退款',
    countNote: '订单数和订单金额只计已完成的订单（Order Completed）；已取消 {c} 笔，不计入。最近订单列出已完成、已取消和退款三类。',
    filterEvents: '只看这些事件',
  },
  en: {
    title: 'Persons',
    intro: 'Search persons by any of their ids (member id, anonymous device id…; prefixes match) or a trait value; key=value matches one trait exactly, e.g. city=Shanghai.',
    search: 'Search ids or trait values',
    searchBtn: 'Search',
    person: 'Person',
    identifiers: 'Identifiers',
    traits: 'Traits',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
    events: 'Events',
    next: 'Next page',
    prev: 'Previous page',
    back: 'Back to search',
    noPersons: 'No person matches',
    user: 'user',
    anonymous: 'anonymous',
    id: 'Id',
    kind: 'Kind',
    key: 'Trait',
    value: 'Value',
    noTraits: 'No traits yet',
    orders: 'Orders',
    orderCount: 'Orders',
    orderTotal: 'Order value',
    refunds: 'Refunds',
    net: 'Net',
    cancelled: 'Cancelled',
    recentOrders: 'Recent orders',
    orderId: 'Order id',
    time: 'Time',
    event: 'Event',
    amount: 'Amount',
    products: 'Items',
    noOrders: 'No orders yet',
    timeline: 'Event timeline',
    loadMore: 'Load more',
    noEvents: 'No events',
    end: 'No earlier events',
    merged: 'includes {n} merged person(s)',
    personId: 'Person id',
    details: 'Key properties',
    completed: 'Completed',
    refunded: 'Refund',
    countNote: 'Orders and order value count completed orders (Order Completed) only; {c} cancelled, not counted. Recent orders list completed, cancelled and refunded ones.',
    filterEvents: 'Only these events',
  },
};

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

interface Identifier {
  distinct_id: string;
  is_user: boolean;
  events: number;
  first_seen?: number;
  last_seen?: number;
}

interface PersonSummary {
  person_id: number;
  distinct_id: string;
  identifiers: Identifier[];
  identifier_count: number;
  traits: Record<string, Json>;
  created_at: number;
  first_seen: number;
  last_seen: number;
  event_count: number;
}

interface SearchResult {
  persons: PersonSummary[];
  next_cursor: string;
}

interface Order {
  event_id: string;
  event: string;
  order_id: string;
  ts: number;
  total: number;
  has_total: boolean;
  currency?: string;
  products: number;
}

interface Profile {
  person_id: number;
  distinct_id: string;
  identifiers: Identifier[];
  merged_person_ids: number[];
  traits: Record<string, Json>;
  created_at: number;
  first_seen: number;
  last_seen: number;
  event_count: number;
  orders: {
    count: number;
    total: number;
    refunds: number;
    refunded_total: number;
    net: number;
    cancelled: number;
    recent: Order[];
  };
}

interface TimelineEvent {
  event_id: string;
  type: string;
  event: string;
  ts: number;
  distinct_id: string;
  anonymous_id?: string;
  user_id?: string;
  properties: Record<string, Json>;
  context: Record<string, Json>;
}

interface TimelinePage {
  person_id: number;
  events: TimelineEvent[];
  next_cursor: string;
}

// personPath is the console path of a person's profile, for links from other pages.
export function personPath(distinctID: string): string {
  return '/persons/' + encodeURIComponent(distinctID);
}

const base = (p: Membership) => `/api/v1/projects/${p.id}/persons`;

// lastSearch keeps the search (text and page cursors) while a profile is open, so "back"
// returns to the same page of results.
let lastSearch: { q: string; cursors: string[] } = { q: '', cursors: [''] };

function useFormat(project: Membership) {
  const { lang } = useI18n();
  const time = useCallback(
    (ms: number) =>
      ms
        ? new Intl.DateTimeFormat(lang, {
            timeZone: project.timezone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
            hour12: false,
          }).format(new Date(ms))
        : '—',
    [lang, project.timezone],
  );
  const money = useCallback(
    (v: number, currency?: string) => {
      try {
        return new Intl.NumberFormat(lang, { style: 'currency', currency: currency || project.currency || 'CNY' }).format(v);
      } catch {
        return v.toFixed(2);
      }
    },
    [lang, project.currency],
  );
  const num = useCallback((v: number) => v.toLocaleString(lang), [lang]);
  return { time, money, num };
}

function traitText(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// keyProps shows an event's first few properties as key=value, the rest in the JSON.
function keyProps(p: Record<string, Json> | undefined, n = 5): string {
  if (!p) return '';
  return Object.entries(p)
    .slice(0, n)
    .map(([k, v]) => `${k}=${traitText(v)}`)
    .join('  ');
}

export function PersonsPage({ project }: { project: Membership; me: Me }) {
  const path = usePath();
  const id = pathRest(path);
  return (
    <div data-testid="persons">
      {id ? <PersonProfile key={id} project={project} id={id} /> : <PersonSearch project={project} />}
    </div>
  );
}

function PersonSearch({ project }: { project: Membership }) {
  const s = useStrings(strings);
  const f = useFormat(project);
  const errorText = useErrorText();
  const [q, setQ] = useState(lastSearch.q);
  const [cursors, setCursors] = useState<string[]>(lastSearch.cursors);
  const [res, setRes] = useState<SearchResult>();
  const [loading, setLoading] = useState(false);
  const [err, setErr] = useState('');
  const cursor = cursors[cursors.length - 1];

  const [applied, setApplied] = useState(lastSearch.q);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setErr('');
    const params = new URLSearchParams({ q: applied, limit: '20' });
    if (cursor) params.set('cursor', cursor);
    api<SearchResult>('GET', `${base(project)}?${params}`)
      .then((r) => live && setRes(r))
      .catch((e) => live && setErr(errorText(e)))
      .finally(() => live && setLoading(false));
    lastSearch = { q: applied, cursors };
    return () => {
      live = false;
    };
  }, [project, applied, cursor, cursors]);

  const columns: ColumnsType<PersonSummary> = [
    {
      title: s.person,
      key: 'person',
      width: 220,
      render: (_, p) => (
        <Space direction="vertical" size={0} style={{ maxWidth: '100%', wordBreak: 'break-all' }}>
          <Typography.Link data-testid="person-link" onClick={() => navigate(personPath(p.distinct_id))}>
            {p.distinct_id}
          </Typography.Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {s.personId} {p.person_id}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: s.identifiers,
      key: 'ids',
      width: 260,
      render: (_, p) => (
        <Space size={[4, 4]} wrap style={{ maxWidth: '100%' }}>
          {p.identifiers.map((i) => (
            <Tag
              key={i.distinct_id}
              color={i.is_user ? 'blue' : undefined}
              title={i.distinct_id}
              style={{ marginInlineEnd: 0, maxWidth: 236, overflow: 'hidden', textOverflow: 'ellipsis', verticalAlign: 'top' }}
            >
              {i.distinct_id}
            </Tag>
          ))}
          {p.identifier_count > p.identifiers.length && <Tag>+{p.identifier_count - p.identifiers.length}</Tag>}
        </Space>
      ),
    },
    {
      title: s.traits,
      key: 'traits',
      render: (_, p) => (
        <Typography.Text style={{ fontSize: 12 }} ellipsis={{ tooltip: true }} className="persons-traits">
          {Object.entries(p.traits)
            .map(([k, v]) => `${k}: ${traitText(v)}`)
            .join(' · ')}
        </Typography.Text>
      ),
    },
    { title: s.firstSeen, dataIndex: 'first_seen', key: 'first', render: (v: number) => f.time(v), width: 170 },
    { title: s.lastSeen, dataIndex: 'last_seen', key: 'last', render: (v: number) => f.time(v), width: 170 },
    { title: s.events, dataIndex: 'event_count', key: 'n', align: 'right', render: (v: number) => f.num(v), width: 90 },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          {s.title}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{s.intro}</Typography.Paragraph>
      </div>
      <Input.Search
        data-testid="persons-search"
        placeholder={s.search}
        enterButton={s.searchBtn}
        allowClear
        value={q}
        maxLength={200}
        onChange={(e) => setQ(e.target.value)}
        onSearch={(v) => {
          setApplied(v.trim());
          setCursors(['']);
        }}
        style={{ maxWidth: 560 }}
      />
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Table<PersonSummary>
        data-testid="persons-table"
        rowKey="person_id"
        size="small"
        loading={loading}
        columns={columns}
        dataSource={res?.persons ?? []}
        pagination={false}
        locale={{ emptyText: <Empty description={s.noPersons} /> }}
        tableLayout="fixed"
        scroll={{ x: 1080 }}
        onRow={(p) => ({ 'data-testid': 'person-row', 'data-distinct-id': p.distinct_id }) as React.HTMLAttributes<HTMLElement>}
      />
      <Space>
        <Button data-testid="persons-prev" disabled={cursors.length < 2 || loading} onClick={() => setCursors(cursors.slice(0, -1))}>
          {s.prev}
        </Button>
        <Button data-testid="persons-next" disabled={!res?.next_cursor || loading} onClick={() => res && setCursors([...cursors, res.next_cursor])}>
          {s.next}
        </Button>
      </Space>
    </Space>
  );
}

function PersonProfile({ project, id }: { project: Membership; id: string }) {
  const s = useStrings(strings);
  const f = useFormat(project);
  const errorText = useErrorText();
  const [only, setOnly] = useState<string[]>([]);
  const [prof, setProf] = useState<Profile>();
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [next, setNext] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const [err, setErr] = useState('');
  const url = `${base(project)}/${encodeURIComponent(id)}`;

  // The timeline's event filter runs on the server (?event=…), so paging continues it; the
  // picker offers the project's event names.
  const [names, setNames] = useState<string[]>([]);
  const [loadingEvents, setLoadingEvents] = useState(false);
  const filter = only.map((e) => `&event=${encodeURIComponent(e)}`).join('');
  useEffect(() => {
    let live = true;
    api<Profile>('GET', url)
      .then((p) => live && setProf(p))
      .catch((e) => live && setErr(errorText(e)));
    eventDefinitions(project.id)
      .then((ds) => live && setNames(ds.map((d) => d.name).sort()))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [url, project.id]);
  useEffect(() => {
    let live = true;
    setLoadingEvents(true);
    api<TimelinePage>('GET', `${url}/events?limit=50${filter}`)
      .then((t) => {
        if (!live) return;
        setEvents(t.events);
        setNext(t.next_cursor);
      })
      .catch((e) => live && setErr(errorText(e)))
      .finally(() => live && setLoadingEvents(false));
    return () => {
      live = false;
    };
  }, [url, filter]);

  const more = () => {
    setLoadingMore(true);
    api<TimelinePage>('GET', `${url}/events?limit=50${filter}&before=${encodeURIComponent(next)}`)
      .then((t) => {
        setEvents((old) => [...old, ...t.events]);
        setNext(t.next_cursor);
      })
      .catch((e) => setErr(errorText(e)))
      .finally(() => setLoadingMore(false));
  };

  const back = (
    <Button data-testid="persons-back" onClick={() => navigate('/persons')}>
      {s.back}
    </Button>
  );
  if (!prof) {
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        {back}
        {err ? <Alert type="error" message={err} data-testid="error" /> : <Card loading />}
      </Space>
    );
  }
  const traits = Object.entries(prof.traits ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const o = prof.orders;
  const idColumns: ColumnsType<Identifier> = [
    { title: s.id, dataIndex: 'distinct_id', key: 'id', render: (v: string) => <Typography.Text copyable>{v}</Typography.Text> },
    { title: s.kind, key: 'kind', render: (_, i) => (i.is_user ? <Tag color="blue">{s.user}</Tag> : <Tag>{s.anonymous}</Tag>), width: 90 },
    { title: s.events, dataIndex: 'events', key: 'n', align: 'right', render: (v: number) => f.num(v), width: 80 },
    { title: s.lastSeen, dataIndex: 'last_seen', key: 'last', render: (v?: number) => f.time(v ?? 0), width: 170 },
  ];
  const orderColumns: ColumnsType<Order> = [
    { title: s.time, dataIndex: 'ts', key: 'ts', render: (v: number) => f.time(v), width: 160 },
    {
      title: s.event,
      dataIndex: 'event',
      key: 'event',
      width: 90,
      render: (v: string) =>
        v === 'Order Cancelled' ? (
          <Tag data-testid="order-kind" data-kind="cancelled">{s.cancelled}</Tag>
        ) : v === 'Order Refunded' ? (
          <Tag color="orange" data-testid="order-kind" data-kind="refunded">{s.refunded}</Tag>
        ) : v === 'Order Completed' ? (
          <Tag color="green" data-testid="order-kind" data-kind="completed">{s.completed}</Tag>
        ) : (
          v
        ),
    },
    { title: s.orderId, dataIndex: 'order_id', key: 'order', ellipsis: true },
    { title: s.products, dataIndex: 'products', key: 'products', align: 'right', width: 70 },
    {
      title: s.amount,
      key: 'amount',
      align: 'right',
      width: 110,
      render: (_, r) => {
        const v = r.has_total ? f.money(r.total, r.currency) : '—';
        // A cancelled order's amount was never taken: struck through, as it is not counted.
        return r.event === 'Order Cancelled' ? <Typography.Text delete type="secondary">{v}</Typography.Text> : v;
      },
    },
  ];
  const eventColumns: ColumnsType<TimelineEvent> = [
    { title: s.time, dataIndex: 'ts', key: 'ts', render: (v: number) => f.time(v), width: 180 },
    { title: s.event, dataIndex: 'event', key: 'event', width: 200, ellipsis: true, render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    {
      title: s.id,
      dataIndex: 'distinct_id',
      key: 'id',
      width: 180,
      ellipsis: true,
      render: (v: string) => (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {v}
        </Typography.Text>
      ),
    },
    {
      title: s.details,
      key: 'props',
      ellipsis: true,
      render: (_, e) => (
        <Typography.Text type="secondary" style={{ fontSize: 12, fontFamily: 'monospace' }}>
          {keyProps(e.properties)}
        </Typography.Text>
      ),
    },
  ];
  const shown = events;

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Space wrap>
        {back}
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="person-title">
          {prof.distinct_id}
        </Typography.Title>
        <Typography.Text type="secondary">
          {s.personId} {prof.person_id}
          {prof.merged_person_ids.length > 0 && ` · ${s.merged.replace('{n}', String(prof.merged_person_ids.length))}`}
        </Typography.Text>
      </Space>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Descriptions size="small" column={3} bordered data-testid="person-facts">
        <Descriptions.Item label={s.firstSeen}>{f.time(prof.first_seen)}</Descriptions.Item>
        <Descriptions.Item label={s.lastSeen}>{f.time(prof.last_seen)}</Descriptions.Item>
        <Descriptions.Item label={s.events}>
          <span data-testid="person-events">{f.num(prof.event_count)}</span>
        </Descriptions.Item>
      </Descriptions>
      <Row gutter={16}>
        <Col xs={24} xl={12}>
          <Card size="small" title={s.identifiers} style={{ marginBottom: 16 }}>
            <Table<Identifier> data-testid="identifiers" rowKey="distinct_id" size="small" pagination={false} columns={idColumns} dataSource={prof.identifiers} />
          </Card>
          <Card size="small" title={s.traits}>
            {traits.length === 0 ? (
              <Empty description={s.noTraits} image={Empty.PRESENTED_IMAGE_SIMPLE} />
            ) : (
              <Descriptions size="small" column={1} bordered data-testid="traits">
                {traits.map(([k, v]) => (
                  <Descriptions.Item key={k} label={k}>
                    <span data-testid="trait" data-key={k}>
                      {traitText(v)}
                    </span>
                  </Descriptions.Item>
                ))}
              </Descriptions>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={s.orders} data-testid="orders">
            <Row gutter={8} style={{ marginBottom: 12 }}>
              <Col span={6}>
                <Statistic title={s.orderCount} value={o.count} data-testid="orders-count" />
              </Col>
              <Col span={6}>
                <Statistic title={s.orderTotal} value={f.money(o.total)} data-testid="orders-total" />
              </Col>
              <Col span={6}>
                <Statistic title={s.refunds} value={`${o.refunds} · ${f.money(o.refunded_total)}`} valueStyle={{ fontSize: 16 }} data-testid="orders-refunds" />
              </Col>
              <Col span={6}>
                <Statistic title={s.net} value={f.money(o.net)} data-testid="orders-net" />
              </Col>
            </Row>
            <Typography.Text strong>{s.recentOrders}</Typography.Text>
            <Table<Order>
              data-testid="recent-orders"
              rowKey="event_id"
              size="small"
              pagination={false}
              columns={orderColumns}
              dataSource={o.recent}
              tableLayout="fixed"
              locale={{ emptyText: <Empty description={s.noOrders} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 8 }} data-testid="orders-note">
              {s.countNote.replace('{c}', String(o.cancelled))}
            </Typography.Text>
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title={s.timeline}
        extra={
          <Space>
            <Select
              mode="multiple"
              allowClear
              value={only}
              onChange={setOnly}
              options={Array.from(new Set([...names, ...only])).map((n) => ({ value: n, label: n }))}
              placeholder={s.filterEvents}
              maxTagCount="responsive"
              style={{ width: 300 }}
              data-testid="timeline-filter"
            />
          </Space>
        }
      >
        <Table<TimelineEvent>
          data-testid="timeline"
          loading={loadingEvents}
          rowKey="event_id"
          size="small"
          pagination={false}
          columns={eventColumns}
          dataSource={shown}
          tableLayout="fixed"
          onRow={() => ({ 'data-testid': 'timeline-row' }) as React.HTMLAttributes<HTMLElement>}
          expandable={{
            expandRowByClick: true,
            expandedRowRender: (e) => (
              <pre data-testid="event-json" style={{ margin: 0, maxHeight: 360, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                {JSON.stringify(e, null, 2)}
              </pre>
            ),
          }}
          locale={{ emptyText: <Empty description={s.noEvents} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
        />
        <div style={{ marginTop: 12, textAlign: 'center' }}>
          {next ? (
            <Button data-testid="timeline-more" loading={loadingMore} onClick={more}>
              {s.loadMore}
            </Button>
          ) : (
            events.length > 0 && (
              <Typography.Text type="secondary" data-testid="timeline-end">
                {s.end}
              </Typography.Text>
            )
          )}
        </div>
      </Card>
    </Space>
  );
}
