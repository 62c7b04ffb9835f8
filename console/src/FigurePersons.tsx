// FigurePersonsDrawer lists the persons behind one figure of an analysis, a page at a time:
// of a trends line (a point or the whole range; POST …/trends/persons), of a funnel (who reached a step, or who reached the step before it and not this one; POST
// …/funnel/persons) or of a retention table (a cohort, who returned in a period, or who did
// not; POST …/retention/persons). Each person opens their profile. Operators and up may read
// persons (persons:read); canListPersons says whether to offer it.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Drawer, Segmented, Table, Tag, Typography } from 'antd';
import { api, type Membership, type Spec } from './api';
import { useI18n, useStrings } from './i18n';
import { navigate } from './router';
import { personPath } from './pages/Persons';

// FigurePick is the figure whose persons to list: a trends point, a funnel step or a
// retention cohort.
export type FigurePick =
  | {
      kind: 'trends';
      series: string; // the series' letter
      time?: string; // a point's label; without: the whole range
      breakdown?: string;
      compare?: boolean;
      label: string; // the line and point as the drawer's title shows them
    }
  | {
      kind: 'funnel';
      step: number;
      dropped: boolean;
      breakdown?: string; // a breakdown value of the result, or "$other"
      label: string; // the step as the drawer's title shows it, e.g. "3. 提交订单"
    }
  | {
      kind: 'retention';
      cohort: string; // the cohort's start label
      period?: number; // without: the whole cohort
      lost?: boolean; // with period: who did not return in it
      label: string; // the period's name, e.g. "第 1 周" / "Week 1"
    };

interface PersonSummary {
  person_id: number;
  distinct_id: string;
  identifier_count: number;
  traits: Record<string, unknown>;
  first_seen: number;
  last_seen: number;
  event_count: number;
}

interface Answer {
  persons: PersonSummary[];
  total: number;
  computed_at: string;
}

const strings = {
  'zh-CN': {
    reached: '到达「{s}」的用户',
    dropped: '到达上一步、未到达「{s}」的流失用户',
    point: '{s} 的用户',
    cohort: '{c} 同期群的全部用户',
    retained: '{c} 同期群中在{s}回访的用户',
    lost: '{c} 同期群中在{s}未回访的用户',
    row: '分组：{v}',
    total: '共 {n} 人',
    person: '用户',
    ids: '标识数',
    traits: '属性',
    first: '首次访问',
    last: '最近访问',
    events: '事件数',
    empty: '没有用户',
    hint: '点击用户查看其档案与行为序列。',
    returned: '回访',
    notReturned: '未回访',
  },
  en: {
    reached: 'Persons who reached "{s}"',
    dropped: 'Persons who reached the step before "{s}" but not it',
    point: 'Persons behind {s}',
    cohort: 'All persons of the {c} cohort',
    retained: 'Persons of the {c} cohort who returned in {s}',
    lost: 'Persons of the {c} cohort who did not return in {s}',
    row: 'Row: {v}',
    total: '{n} persons',
    person: 'Person',
    ids: 'Ids',
    traits: 'Traits',
    first: 'First seen',
    last: 'Last seen',
    events: 'Events',
    empty: 'No persons',
    hint: 'Open a person to see their profile and events.',
    returned: 'Returned',
    notReturned: 'Did not return',
  },
};

const pageSize = 50;

// canListPersons: the persons of a figure carry identifiers and traits (persons:read,
// operator and up); the server checks it too.
export function canListPersons(p: Membership): boolean {
  return p.role === 'owner' || p.role === 'admin' || p.role === 'analyst' || p.role === 'operator';
}

export function FigurePersonsDrawer({ project, spec, pick, otherLabel, onPick, onClose }: {
  project: Membership;
  spec: Spec;
  pick?: FigurePick;
  otherLabel?: string; // how the breakdown's "$other" row is shown
  onPick?: (p: FigurePick) => void; // given: a retention period offers returned / not returned
  onClose: () => void;
}) {
  const s = useStrings(strings);
  const { lang } = useI18n();
  const [page, setPage] = useState(1);
  const [ans, setAns] = useState<Answer>();
  const [err, setErr] = useState('');
  const [loading, setLoading] = useState(false);
  useEffect(() => setPage(1), [pick, spec]);
  useEffect(() => {
    if (!pick) return;
    let alive = true;
    setLoading(true);
    setErr('');
    const paging = { spec, limit: pageSize, offset: (page - 1) * pageSize };
    const base = `/api/v1/projects/${project.id}`;
    const req =
      pick.kind === 'trends'
        ? api<Answer>('POST', `${base}/trends/persons`, { ...paging, series: pick.series, time: pick.time, breakdown: pick.breakdown, compare: pick.compare })
        : pick.kind === 'funnel'
          ? api<Answer>('POST', `${base}/funnel/persons`, { ...paging, step: pick.step, dropped: pick.dropped, breakdown: pick.breakdown })
          : api<Answer>('POST', `${base}/retention/persons`, { ...paging, cohort: pick.cohort, period: pick.period, lost: pick.lost });
    req
      .then((r) => alive && setAns(r))
      .catch((e) => alive && setErr((e as Error).message))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [project.id, spec, pick, page]);
  const fmt = useMemo(() => {
    const f = new Intl.DateTimeFormat(lang, { timeZone: project.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
    return (ms: number) => (ms ? f.format(new Date(ms)) : '–');
  }, [lang, project.timezone]);
  let title = '';
  let row = '';
  if (pick?.kind === 'trends') {
    title = s.point.replace('{s}', pick.label);
  } else if (pick?.kind === 'funnel') {
    title = (pick.dropped ? s.dropped : s.reached).replace('{s}', pick.label);
    if (pick.breakdown !== undefined) row = s.row.replace('{v}', pick.breakdown === '$other' ? otherLabel ?? pick.breakdown : pick.breakdown);
  } else if (pick?.kind === 'retention') {
    title = (pick.period === undefined ? s.cohort : pick.lost ? s.lost : s.retained).replace('{c}', pick.cohort).replace('{s}', pick.label);
  }
  return (
    <Drawer open={!!pick} onClose={onClose} width={Math.min(960, window.innerWidth - 48)} title={title} data-testid="figure-persons" destroyOnClose>
      {onPick && pick?.kind === 'retention' && pick.period !== undefined && (
        <Segmented
          style={{ marginBottom: 12 }}
          data-testid="figure-persons-lost"
          value={pick.lost ? 'lost' : 'returned'}
          onChange={(v) => onPick({ ...pick, lost: v === 'lost' })}
          options={[
            { value: 'returned', label: s.returned },
            { value: 'lost', label: s.notReturned },
          ]}
        />
      )}
      <Typography.Paragraph type="secondary">
        {row && <Tag>{row}</Tag>}
        {ans && <span data-testid="figure-persons-total">{s.total.replace('{n}', ans.total.toLocaleString(lang))}</span>} · {s.hint}
      </Typography.Paragraph>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <Table<PersonSummary>
        size="small"
        rowKey="person_id"
        loading={loading}
        dataSource={ans?.persons ?? []}
        locale={{ emptyText: s.empty }}
        scroll={{ x: 760 }}
        pagination={{ current: page, pageSize, total: ans?.total ?? 0, showSizeChanger: false, onChange: setPage }}
        columns={[
          {
            title: s.person, dataIndex: 'distinct_id', key: 'id', width: 200, ellipsis: true,
            render: (v: string) => (
              <Typography.Link data-testid="figure-person-link" onClick={() => navigate(personPath(v))}>
                {v}
              </Typography.Link>
            ),
          },
          {
            title: s.traits, key: 'traits', ellipsis: true,
            render: (_: unknown, p: PersonSummary) =>
              Object.entries(p.traits)
                .slice(0, 4)
                .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                .join(' · '),
          },
          { title: s.ids, dataIndex: 'identifier_count', key: 'ids', width: 70, align: 'right' },
          { title: s.events, dataIndex: 'event_count', key: 'events', width: 80, align: 'right', render: (v: number) => v.toLocaleString(lang) },
          { title: s.first, dataIndex: 'first_seen', key: 'first', width: 130, render: fmt },
          { title: s.last, dataIndex: 'last_seen', key: 'last', width: 130, render: fmt },
        ]}
      />
    </Drawer>
  );
}
