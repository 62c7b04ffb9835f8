// Live events (实时事件): the project's events as the server loads them, from the live
// stream (server-sent events, GET …/live/events; the session cookie goes with it, a GET
// needs no CSRF token). Filters (event names from the definitions API, distinct id, type)
// reconnect the stream with the server doing the filtering; the server first sends the
// latest matching events it keeps. Pause keeps receiving but holds new rows back; clear
// empties the table. The server drops events for a client too slow to read and says how
// many: shown as "dropped". Routed at /live.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Button, Card, Input, Select, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { Membership } from '../api';
import { useEventDefinitions } from '../definitions';
import { useI18n, useStrings } from '../i18n';
import { navigate } from '../router';
import { personPath } from './Persons';

const strings = {
  'zh-CN': {
    title: '实时事件',
    forbidden: '实时事件会显示用户的标识和属性，需要运营 (operator) 及以上角色。实时汇总在运营看板上。',
    intro: '事件写入存储后立即出现在这里（采集、导入和演示数据都会出现）。筛选在服务端进行；打开页面时先显示最近的事件。',
    events: '事件',
    eventsPlaceholder: '全部事件（可多选或输入）',
    distinctId: '用户标识',
    distinctPlaceholder: '会员 ID 或匿名 ID，回车应用',
    type: '类型',
    allTypes: '全部类型',
    pause: '暂停',
    resume: '继续',
    clear: '清空',
    reconnect: '重新连接',
    connecting: '连接中',
    open: '实时',
    reconnecting: '重连中',
    closed: '已断开',
    paused: '已暂停',
    received: '已接收',
    shown: '显示',
    held: '暂停期间新到',
    dropped: '丢弃',
    droppedHelp: '浏览器读取太慢时服务端丢弃的事件数',
    time: '时间',
    event: '事件',
    person: '用户编号',
    personHelp: '内部用户编号（合并身份后的同一个人），点击查看用户详情',
    properties: '主要属性',
    waiting: '等待新事件……用 SDK 或 /v1/track 发送一个事件，它会立即出现在这里。',
    waitingFiltered: '服务端只保留本项目最近到达的 {n} 个事件，其中没有符合筛选条件的；符合条件的新事件到达后会立即出现在这里。更早的历史事件请用事件分析或用户细查查看。',
    keep: '最多保留最近 {n} 行',
    backlog: '含最近 {n} 个事件',
  },
  en: {
    title: 'Live events',
    forbidden: 'Live events show persons’ identifiers and traits: they need the operator role or higher. The real-time summary is on the overview.',
    intro: 'Events show here as soon as they are written to the store (collected, imported or demo). Filters run on the server; the page opens with the latest events.',
    events: 'Events',
    eventsPlaceholder: 'All events (pick or type several)',
    distinctId: 'Distinct id',
    distinctPlaceholder: 'User or anonymous id, Enter to apply',
    type: 'Type',
    allTypes: 'All types',
    pause: 'Pause',
    resume: 'Resume',
    clear: 'Clear',
    reconnect: 'Reconnect',
    connecting: 'Connecting',
    open: 'Live',
    reconnecting: 'Reconnecting',
    closed: 'Disconnected',
    paused: 'Paused',
    received: 'Received',
    shown: 'Shown',
    held: 'Held while paused',
    dropped: 'Dropped',
    droppedHelp: 'Events the server dropped because this browser read too slowly',
    time: 'Time',
    event: 'Event',
    person: 'Person',
    personHelp: 'The internal person number (one person across merged ids); click to open the profile',
    properties: 'Key properties',
    waiting: 'Waiting for events… send one with an SDK or /v1/track and it shows here at once.',
    waitingFiltered: 'The server keeps only the latest {n} events to arrive in this project, and none of them matches the filter; matching events show here as they arrive. For older events use the analyses or the Persons page.',
    keep: 'Keeps the latest {n} rows',
    backlog: 'including {n} recent events',
  },
};

// LiveEvent is the data of one stream message (api/openapi.yaml, LiveEvent).
export interface LiveEvent {
  seq: number;
  id: string;
  type: string;
  event: string;
  timestamp: number;
  time: string;
  received_at: number;
  distinct_id: string;
  anonymous_id?: string;
  user_id?: string;
  person_id: number;
  properties: Record<string, unknown>;
  context?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  // epoch is not in the data: the console takes it from the message id ("epoch-seq").
  epoch?: number;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveFilter {
  events: string[];
  distinctId: string;
  type: string;
}

// canWatchLive reports whether the caller's role may open the stream (live:read, operator
// and up: events carry identifiers and traits); the server checks it too.
export function canWatchLive(p: Membership): boolean {
  return p.role === 'owner' || p.role === 'admin' || p.role === 'analyst' || p.role === 'operator';
}

// liveURL is the stream's address for a filter.
export function liveURL(project: number, f: LiveFilter, backlog = 50): string {
  const q = new URLSearchParams();
  for (const e of f.events) q.append('event', e);
  if (f.distinctId) q.set('distinct_id', f.distinctId);
  if (f.type) q.set('type', f.type);
  q.set('backlog', String(backlog));
  return `/api/v1/projects/${project}/live/events?${q}`;
}

// streamError asks the stream's URL once more to learn why the browser gave up on it (an
// EventSource does not expose the answer): the API error's message, or '' when it serves.
async function streamError(url: string): Promise<string> {
  const ctl = new AbortController();
  try {
    const resp = await fetch(url, { credentials: 'same-origin', signal: ctl.signal, headers: { Accept: 'text/event-stream' } });
    if (resp.ok) return '';
    const body = await resp.json().catch(() => undefined);
    const e = body?.error;
    return e ? (e.field ? `${e.field}: ${e.message}` : e.message) : `${resp.status} ${resp.statusText}`;
  } catch (e) {
    return (e as Error).message;
  } finally {
    ctl.abort();
  }
}

// useLiveStream keeps an EventSource open on url while url is set, closes it on change and
// unmount, and calls onEvents with batches of arrivals (at most every 250 ms, so a burst
// renders once).
export function useLiveStream(url: string | undefined, onEvents: (evs: LiveEvent[]) => void) {
  const [state, setState] = useState<StreamState>('connecting');
  const [dropped, setDropped] = useState(0);
  const [backlog, setBacklog] = useState(0);
  const [error, setError] = useState('');
  const [attempt, setAttempt] = useState(0);
  const cb = useRef(onEvents);
  cb.current = onEvents;
  useEffect(() => {
    if (!url) return;
    setState('connecting');
    setDropped(0);
    setError('');
    const es = new EventSource(url);
    let pending: LiveEvent[] = [];
    let timer: number | undefined;
    let closed = false;
    const flush = () => {
      timer = undefined;
      if (closed || !pending.length) return;
      const batch = pending;
      pending = [];
      cb.current(batch);
    };
    es.onopen = () => setState('open');
    es.onmessage = (m) => {
      try {
        const ev = JSON.parse(m.data) as LiveEvent;
        ev.epoch = Number(m.lastEventId.split('-')[0]) || 0;
        pending.push(ev);
      } catch {
        return;
      }
      if (timer === undefined) timer = window.setTimeout(flush, 250);
    };
    es.addEventListener('ready', (m) => {
      try {
        setBacklog(JSON.parse((m as MessageEvent).data).backlog ?? 0);
      } catch {
        /* ignore */
      }
      setState('open');
      flush();
    });
    es.addEventListener('dropped', (m) => {
      try {
        setDropped(JSON.parse((m as MessageEvent).data).dropped ?? 0);
      } catch {
        /* ignore */
      }
    });
    es.onerror = () => {
      if (closed) return;
      if (es.readyState === EventSource.CLOSED) {
        setState('closed');
        streamError(url).then((msg) => !closed && setError(msg));
      } else {
        setState('reconnecting');
      }
    };
    return () => {
      closed = true;
      window.clearTimeout(timer);
      es.close();
    };
  }, [url, attempt]);
  const reconnect = useCallback(() => setAttempt((a) => a + 1), []);
  return { state, dropped, backlog, error, reconnect };
}

// keyProps shows the first few top-level properties as key=value.
function keyProps(p: Record<string, unknown> | undefined, n = 4): string {
  if (!p) return '';
  return Object.entries(p)
    .slice(0, n)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join('  ');
}

const maxRows = 500;
// serverKept is how many of a project's latest events the server keeps for the backlog
// (docs/live.md).
const serverKept = 200;
const maxHeld = 5000;

export function LivePage({ project }: { project: Membership }) {
  const s = useStrings(strings);
  const { lang } = useI18n();
  const defs = useEventDefinitions();
  const [events, setEvents] = useState<string[]>([]);
  const [typedId, setTypedId] = useState('');
  const [distinctId, setDistinctId] = useState('');
  const [type, setType] = useState('');
  const [rows, setRows] = useState<LiveEvent[]>([]);
  const [received, setReceived] = useState(0);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  const held = useRef<LiveEvent[]>([]);
  const [heldCount, setHeldCount] = useState(0);

  const allowed = canWatchLive(project);
  const url = useMemo(() => (allowed ? liveURL(project.id, { events, distinctId, type }) : undefined), [allowed, project.id, events, distinctId, type]);
  const onEvents = useCallback((evs: LiveEvent[]) => {
    setReceived((n) => n + evs.length);
    if (pausedRef.current) {
      held.current = held.current.concat(evs).slice(-maxHeld);
      setHeldCount(held.current.length);
      return;
    }
    setRows((r) => evs.slice().reverse().concat(r).slice(0, maxRows));
  }, []);
  const { state, dropped, backlog, error, reconnect } = useLiveStream(url, onEvents);

  // A new filter starts a new table.
  useEffect(() => {
    setRows([]);
    setReceived(0);
    held.current = [];
    setHeldCount(0);
  }, [url]);

  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next && held.current.length) {
      const evs = held.current;
      held.current = [];
      setHeldCount(0);
      setRows((r) => evs.slice().reverse().concat(r).slice(0, maxRows));
    }
  };
  const clear = () => {
    setRows([]);
    held.current = [];
    setHeldCount(0);
  };

  // Times are in the project's time zone; an event of another day than today (a backlog
  // event, an import) shows its date too.
  const fmt = useMemo(() => {
    const f = new Intl.DateTimeFormat(lang, { timeZone: project.timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const d = new Intl.DateTimeFormat(lang, { timeZone: project.timezone, dateStyle: 'medium', timeStyle: 'medium' });
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: project.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    return {
      time: (ms: number) => {
        const t = f.format(new Date(ms)) + '.' + String(ms % 1000).padStart(3, '0');
        const date = day.format(new Date(ms));
        return date === day.format(new Date()) ? t : `${date} ${t}`;
      },
      full: (ms: number) => d.format(new Date(ms)),
    };
  }, [lang, project.timezone]);

  // The table fills the window below its top edge (at least 320 px of rows).
  const tableBox = useRef<HTMLDivElement>(null);
  const [tableY, setTableY] = useState(560);
  useLayoutEffect(() => {
    const fit = () => {
      const top = tableBox.current?.getBoundingClientRect().top ?? 0;
      // header row, footer and the page's bottom padding
      setTableY(Math.max(320, Math.floor(window.innerHeight - top - window.scrollY - 120)));
    };
    fit();
    window.addEventListener('resize', fit);
    return () => window.removeEventListener('resize', fit);
  }, []);
  const filtered = events.length > 0 || !!distinctId || !!type;

  const columns: ColumnsType<LiveEvent> = [
    {
      title: s.time,
      key: 'time',
      width: 190,
      render: (_, e) => (
        <Tooltip title={fmt.full(e.timestamp)}>
          <span data-testid="live-time">{fmt.time(e.timestamp)}</span>
        </Tooltip>
      ),
    },
    {
      title: s.event,
      key: 'event',
      width: 220,
      ellipsis: true,
      render: (_, e) => (
        <span data-testid="live-event">
          {e.type !== 'track' && <Tag style={{ marginInlineEnd: 4 }}>{e.type}</Tag>}
          {e.event}
        </span>
      ),
    },
    {
      title: s.distinctId,
      key: 'distinct_id',
      width: 220,
      ellipsis: true,
      render: (_, e) => (
        <a
          data-testid="live-distinct-id"
          href={personPath(e.distinct_id)}
          onClick={(ev) => {
            ev.preventDefault();
            navigate(personPath(e.distinct_id));
          }}
        >
          {e.distinct_id}
        </a>
      ),
    },
    {
      title: <Tooltip title={s.personHelp}>{s.person}</Tooltip>,
      key: 'person',
      width: 100,
      render: (_, e) => (
        <Tooltip title={s.personHelp}>
          <a
            data-testid="live-person"
            href={personPath(e.distinct_id)}
            onClick={(ev) => {
              ev.preventDefault();
              navigate(personPath(e.distinct_id));
            }}
          >
            #{e.person_id}
          </a>
        </Tooltip>
      ),
    },
    {
      title: s.properties,
      key: 'props',
      ellipsis: true,
      render: (_, e) => (
        <Typography.Text type="secondary" style={{ fontFamily: 'monospace', fontSize: 12 }}>
          {keyProps(e.properties)}
        </Typography.Text>
      ),
    },
  ];

  const stateTag = paused ? (
    <Badge status="warning" text={s.paused} />
  ) : (
    { connecting: <Badge status="processing" text={s.connecting} />, open: <Badge status="success" text={s.open} />, reconnecting: <Badge status="warning" text={s.reconnecting} />, closed: <Badge status="error" text={s.closed} /> }[state]
  );
  const eventOptions = defs.map((d) => ({ value: d.name, label: d.display_name ? `${d.display_name} (${d.name})` : d.name }));

  if (!allowed) {
    return (
      <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="live">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {s.title}
        </Typography.Title>
        <Alert type="info" showIcon message={s.forbidden} data-testid="live-forbidden" />
      </Space>
    );
  }
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="live">
      <div>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {s.title}
        </Typography.Title>
        <Typography.Text type="secondary">{s.intro}</Typography.Text>
      </div>
      {error && <Alert type="error" message={error} data-testid="error" />}
      <Card size="small">
        <Space wrap size="middle">
          <Space>
            <span>{s.events}</span>
            <Select
              mode="tags"
              allowClear
              value={events}
              onChange={(v: string[]) => setEvents(v.map((x) => x.trim()).filter(Boolean))}
              options={eventOptions}
              placeholder={s.eventsPlaceholder}
              style={{ width: 300 }}
              maxTagCount="responsive"
              data-testid="live-events"
            />
          </Space>
          <Space>
            <span>{s.distinctId}</span>
            <Input.Search
              allowClear
              value={typedId}
              onChange={(e) => {
                setTypedId(e.target.value);
                if (!e.target.value) setDistinctId('');
              }}
              onSearch={(v) => setDistinctId(v.trim())}
              placeholder={s.distinctPlaceholder}
              style={{ width: 240 }}
              data-testid="live-distinct"
            />
          </Space>
          <Select
            value={type}
            onChange={setType}
            style={{ width: 130 }}
            data-testid="live-type"
            options={[{ value: '', label: s.allTypes }, ...['track', 'page', 'screen', 'identify', 'alias', 'group'].map((t) => ({ value: t, label: t }))]}
          />
        </Space>
      </Card>
      <Card size="small">
        <Space wrap size="large" style={{ width: '100%', justifyContent: 'space-between' }}>
          <Space size="large" wrap>
            <span data-testid="live-state" data-state={paused ? 'paused' : state}>
              {stateTag}
            </span>
            <Statistic title={s.received} value={received} valueStyle={{ fontSize: 18 }} data-testid="live-received" />
            <Statistic title={s.shown} value={rows.length} valueStyle={{ fontSize: 18 }} data-testid="live-shown" />
            {paused && <Statistic title={s.held} value={heldCount} valueStyle={{ fontSize: 18 }} data-testid="live-held" />}
            <Tooltip title={s.droppedHelp}>
              <span>
                <Statistic title={s.dropped} value={dropped} valueStyle={{ fontSize: 18, color: dropped ? '#cf1322' : undefined }} data-testid="live-dropped" />
              </span>
            </Tooltip>
          </Space>
          <Space>
            <Button onClick={togglePause} data-testid="live-pause">
              {paused ? s.resume : s.pause}
            </Button>
            <Button onClick={clear} data-testid="live-clear">
              {s.clear}
            </Button>
            {state === 'closed' && (
              <Button type="primary" onClick={reconnect} data-testid="live-reconnect">
                {s.reconnect}
              </Button>
            )}
          </Space>
        </Space>
      </Card>
      <div ref={tableBox}>
      <Table<LiveEvent>
        size="small"
        data-testid="live-table"
        rowKey={(e) => `${e.seq}:${e.id}`}
        columns={columns}
        dataSource={rows}
        pagination={false}
        tableLayout="fixed"
        scroll={{ y: tableY }}
        locale={{
          emptyText: (
            <Typography.Text type="secondary" data-testid="live-empty">
              {filtered && received === 0 && state === 'open' ? s.waitingFiltered.replace('{n}', String(serverKept)) : s.waiting}
            </Typography.Text>
          ),
        }}
        expandable={{
          expandedRowRender: (e) => (
            <pre data-testid="live-json" style={{ margin: 0, maxHeight: 360, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
              {JSON.stringify(e, null, 2)}
            </pre>
          ),
        }}
        footer={() => (
          <Typography.Text type="secondary">
            {s.keep.replace('{n}', String(maxRows))}
            {backlog > 0 && ' · ' + s.backlog.replace('{n}', String(backlog))}
          </Typography.Text>
        )}
      />
      </div>
    </Space>
  );
}
