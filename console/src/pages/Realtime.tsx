// The overview's real-time panel: the last 30 minutes per minute (events and active
// persons), totals and the top events, pages and scenes, from GET …/live/summary (the event
// store, merges applied), re-read every 10 s. Between reads, events arriving on the live
// stream (GET …/live/events, no backlog) are added to the event counts at once, so the
// panel moves as the shop does. Each read says up to which streamed event it counts, so an
// event is counted once.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Badge, Card, Col, Row, Statistic, Table, Tabs, Tooltip, Typography } from 'antd';
import { api, type Membership } from '../api';
import { Chart, palette } from '../Chart';
import { useI18n, useStrings } from '../i18n';
import { navigate } from '../router';
import { canWatchLive, liveURL, useLiveStream, type LiveEvent } from './Live';
import { addArrivals, notCounted, type Arrival, type Count, type SummaryAnswer } from '../realtimeCounts';

const strings = {
  'zh-CN': {
    title: '实时概况（最近 30 分钟）',
    events: '事件数',
    persons: '活跃用户',
    lastMinute: '本分钟事件',
    perMinute: '每分钟',
    topEvents: '热门事件',
    topPages: '热门页面',
    topScenes: '热门场景值',
    name: '名称',
    count: '次数',
    none: '最近 30 分钟没有数据',
    live: '实时',
    offline: '未连接实时流',
    openLive: '查看实时事件',
    updated: '更新于 {t}',
  },
  en: {
    title: 'Real time (last 30 minutes)',
    events: 'Events',
    persons: 'Active persons',
    lastMinute: 'Events this minute',
    perMinute: 'Per minute',
    topEvents: 'Top events',
    topPages: 'Top pages',
    topScenes: 'Top scenes',
    name: 'Name',
    count: 'Count',
    none: 'No data in the last 30 minutes',
    live: 'Live',
    offline: 'Live stream not connected',
    openLive: 'Open live events',
    updated: 'Updated {t}',
  },
};

const refreshMs = 10_000;
const maxArrivals = 20_000; // between two summary reads; a burst beyond it shows after the next read

export function RealtimePanel({ project }: { project: Membership }) {
  const s = useStrings(strings);
  const { lang } = useI18n();
  const [base, setBase] = useState<SummaryAnswer>();
  const [arrivals, setArrivals] = useState<Arrival[]>([]);
  const [computedAt, setComputedAt] = useState('');
  const [err, setErr] = useState('');

  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    const load = () => {
      api<SummaryAnswer>('GET', `/api/v1/projects/${project.id}/live/summary`)
        .then((r) => {
          if (!alive) return;
          setBase(r);
          // Keep only the arrivals this summary does not count yet.
          setArrivals((cur) => cur.filter((a) => notCounted(a, r)));
          setComputedAt(r.computed_at);
          setErr('');
        })
        .catch((e) => alive && setErr((e as Error).message))
        .finally(() => {
          if (alive) timer = window.setTimeout(load, refreshMs);
        });
    };
    load();
    return () => {
      alive = false;
      window.clearTimeout(timer);
    };
  }, [project.id]);

  // Arrivals bump the counts until the next read; each is counted once, whether it reaches
  // the browser before or after the summary that holds it (see notCounted).
  const onEvents = useCallback((evs: LiveEvent[]) => {
    setArrivals((cur) => {
      const next = cur.concat(evs.map((e) => ({ epoch: e.epoch ?? 0, seq: e.seq, timestamp: e.timestamp, event: e.event })));
      return next.length > maxArrivals ? next.slice(next.length - maxArrivals) : next;
    });
  }, []);
  const sum = useMemo(() => base && addArrivals(base.summary, arrivals.filter((a) => notCounted(a, base))), [base, arrivals]);
  // Viewers get the summary only: the stream carries persons' identifiers (live:read).
  const stream = useLiveStream(canWatchLive(project) ? liveURL(project.id, { events: [], distinctId: '', type: '' }, 0) : undefined, onEvents);

  const fmtMinute = useMemo(() => {
    const f = new Intl.DateTimeFormat(lang, { timeZone: project.timezone, hour: '2-digit', minute: '2-digit', hour12: false });
    return (ms: number) => f.format(new Date(ms));
  }, [lang, project.timezone]);

  const option = useMemo(() => {
    const m = sum?.minutes ?? [];
    return {
      color: [palette[0], palette[1]],
      tooltip: { trigger: 'axis' },
      legend: { data: [s.events, s.persons], top: 0 },
      grid: { left: 40, right: 40, top: 30, bottom: 24 },
      xAxis: { type: 'category', data: m.map((p) => fmtMinute(p.start)), axisLabel: { interval: 4 } },
      yAxis: [
        { type: 'value', minInterval: 1 },
        { type: 'value', minInterval: 1, splitLine: { show: false } },
      ],
      series: [
        { name: s.events, type: 'bar', data: m.map((p) => p.events), barMaxWidth: 14 },
        { name: s.persons, type: 'line', yAxisIndex: 1, data: m.map((p) => p.persons), symbolSize: 4 },
      ],
    };
  }, [sum, fmtMinute, s.events, s.persons]);

  const lastMinute = sum?.minutes[sum.minutes.length - 1]?.events ?? 0;
  const list = (rows: Count[] | undefined, testid: string) => (
    <Table<Count>
      size="small"
      pagination={false}
      rowKey="name"
      data-testid={testid}
      dataSource={rows ?? []}
      locale={{ emptyText: s.none }}
      columns={[
        { title: s.name, dataIndex: 'name', key: 'name', ellipsis: true },
        { title: s.count, dataIndex: 'count', key: 'count', width: 80, align: 'right', render: (v: number) => v.toLocaleString(lang) },
      ]}
    />
  );
  const connected = stream.state === 'open';

  return (
    <Card
      size="small"
      data-testid="realtime"
      loading={!sum && !err}
      title={
        <span>
          {s.title}{' '}
          <Tooltip title={connected ? s.live : s.offline}>
            <Badge status={connected ? 'processing' : 'default'} data-testid="realtime-state" data-state={stream.state} />
          </Tooltip>
        </span>
      }
      extra={
        <span>
          {computedAt && (
            <Typography.Text type="secondary" style={{ marginRight: 12 }} data-testid="realtime-updated">
              {s.updated.replace('{t}', new Date(computedAt).toLocaleTimeString(lang, { timeZone: project.timezone, hour12: false }))}
            </Typography.Text>
          )}
          <a onClick={() => navigate('/live')} data-testid="realtime-open-live">
            {s.openLive}
          </a>
        </span>
      }
    >
      {err && <Alert type="error" message={err} data-testid="error" style={{ marginBottom: 12 }} />}
      {sum && (
        <Row gutter={16}>
          <Col xs={24} lg={15}>
            <Row gutter={16} style={{ marginBottom: 8 }}>
              <Col span={8}>
                <Statistic title={s.events} value={sum.events} data-testid="realtime-events" />
              </Col>
              <Col span={8}>
                <Statistic title={s.persons} value={sum.persons} data-testid="realtime-persons" />
              </Col>
              <Col span={8}>
                <Statistic title={s.lastMinute} value={lastMinute} data-testid="realtime-last-minute" />
              </Col>
            </Row>
            <div data-testid="realtime-chart">
              <Chart option={option} height={220} />
            </div>
          </Col>
          <Col xs={24} lg={9}>
            <Tabs
              size="small"
              items={[
                { key: 'events', label: s.topEvents, children: list(sum.top_events, 'realtime-top-events') },
                { key: 'pages', label: s.topPages, children: list(sum.top_pages, 'realtime-top-pages') },
                { key: 'scenes', label: s.topScenes, children: list(sum.top_scenes, 'realtime-top-scenes') },
              ]}
            />
          </Col>
        </Row>
      )}
    </Card>
  );
}
