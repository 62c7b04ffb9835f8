// Import (数据导入): upload a CSV or NDJSON file with a mapping — a shipped preset or JSON
// written here — and watch the import run: the same mappings and all-or-nothing rule as
// `jingyun import` (docs/import.md). Progress, bad rows with their line numbers and the
// project's recent imports come from the import API, polled while a job runs. Importing
// takes the admin role; the server checks it anyway.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Card, Checkbox, Descriptions, Input, Progress, Radio, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import type { UploadFile } from 'antd';
import { api, upload, useErrorText, type Me, type Membership, type Role } from '../api';
import { useI18n, useStrings } from '../i18n';

interface BadRow {
  line: number;
  kind: string;
  column?: string;
  reason: string;
}

interface Report {
  rows: number;
  rows_imported: number;
  events: number;
  orders: number;
  refunds: number;
  skipped: number;
  filtered?: Record<string, number>;
  unmapped?: Record<string, number>;
  complete: boolean;
}

type State = 'queued' | 'validating' | 'loading' | 'done' | 'failed' | 'cancelled';

interface Job {
  id: string;
  file: string;
  preset?: string;
  skip_bad: boolean;
  created_by?: string;
  state: State;
  bytes: number;
  bytes_read: number;
  pass: number;
  passes: number;
  rows: number;
  rows_total?: number;
  events: number;
  bad_row_count: number;
  // bad_rows and report are in the answer of one import, not in the list.
  bad_rows?: BadRow[];
  progress: number;
  report?: Report;
  error?: string;
  error_code?: string;
  resumed?: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
}

interface Preset {
  name: string;
  mapping: string;
}

const strings = {
  'zh-CN': {
    hint: '上传历史数据文件（CSV 或 NDJSON，可 gzip 压缩），按映射把每一行变成事件，规则与命令行 jingyun import 相同：默认只要有一行有问题就什么都不导入，并列出问题行的行号。详见 docs/import.md。',
    forbidden: '导入数据需要管理员或所有者角色，你在本项目的角色是“{role}”。请联系项目管理员。',
    newImport: '新建导入',
    file: '文件',
    chooseFile: '选择文件',
    mapping: '映射',
    startFrom: '起点',
    custom: '自定义映射',
    mappingHint: '映射是一个 JSON 对象；可以从预设开始修改。字段说明见 docs/import.md。',
    badJSON: '映射不是合法的 JSON：',
    skipBad: '跳过问题行，导入其余的行（默认：有问题行则什么都不导入）',
    start: '开始导入',
    uploading: '上传中',
    current: '导入进度',
    recent: '最近的导入',
    none: '还没有导入',
    state: '状态',
    state_queued: '排队中',
    state_validating: '校验中',
    state_loading: '写入中',
    state_done: '已完成',
    state_failed: '失败',
    state_cancelled: '已取消',
    rows: '行',
    events: '事件',
    bytes: '已读取',
    badRows: '问题行',
    line: '行号',
    kind: '类型',
    column: '列',
    reason: '原因',
    pass: '第 {a}/{b} 遍',
    validatingHint: '第一遍只校验，不写入',
    created: '创建时间',
    by: '操作人',
    cancel: '取消',
    skipped: '跳过',
    resumed: '服务重启后已续传',
    nothingWritten: '没有写入任何事件。请修正文件或映射后重新导入，或勾选“跳过问题行”。',
    moreBad: '只列出前 {n} 行',
    error_bad_rows: '文件中有问题行',
    error_failed: '导入失败',
    error_interrupted: '导入被服务重启中断',
    builder: '按文件表头生成映射',
    builderHint: '读取所选文件的第一行表头（只读前 64 KB，不上传），选好各列的含义后点“生成映射”，生成的 JSON 会放进下面的编辑框，可以继续修改。',
    builderNoCSV: '只能从未压缩的 CSV/TSV 文件生成映射；其他文件请从预设开始或直接编写 JSON。',
    builderEmpty: '文件的第一行没有列名',
    eventName: '事件名',
    eventFromColumn: '取自列',
    eventFixed: '固定事件名',
    eventFixedPlaceholder: '例如 Order Completed',
    userId: '用户 ID 列',
    anonId: '匿名 ID 列（可选）',
    timeColumn: '时间列',
    timeFormat: '时间格式',
    zone: '时区',
    props: '属性列',
    propsHint: '勾选要作为事件属性导入的列',
    propName: '属性名',
    propType: '类型',
    generate: '生成映射',
    preview: '前 5 行预览',
    noneCol: '（无）',
    fmt_unix: 'Unix 秒',
    fmt_unix_ms: 'Unix 毫秒',
    fmt_rfc3339: 'RFC 3339（带时区偏移）',
  },
  en: {
    hint: 'Upload a file of past events (CSV or NDJSON, gzip allowed); a mapping turns each row into an event, with the same rules as the jingyun import command: by default, a file with any bad row imports nothing and its bad rows are listed by line number. See docs/import.md.',
    forbidden: 'Importing data takes the admin or owner role; your role in this project is {role}. Ask an admin of the project.',
    newImport: 'New import',
    file: 'File',
    chooseFile: 'Choose a file',
    mapping: 'Mapping',
    startFrom: 'Start from',
    custom: 'Custom mapping',
    mappingHint: 'A mapping is one JSON object; start from a preset and edit it. Every field is described in docs/import.md.',
    badJSON: 'The mapping is not valid JSON: ',
    skipBad: 'Skip bad rows and import the others (default: a file with bad rows imports nothing)',
    start: 'Start import',
    uploading: 'Uploading',
    current: 'Progress',
    recent: 'Recent imports',
    none: 'No imports yet',
    state: 'State',
    state_queued: 'Queued',
    state_validating: 'Validating',
    state_loading: 'Loading',
    state_done: 'Done',
    state_failed: 'Failed',
    state_cancelled: 'Cancelled',
    rows: 'Rows',
    events: 'Events',
    bytes: 'Read',
    badRows: 'Bad rows',
    line: 'Line',
    kind: 'Kind',
    column: 'Column',
    reason: 'Reason',
    pass: 'pass {a} of {b}',
    validatingHint: 'the first pass only validates; nothing is written',
    created: 'Created',
    by: 'By',
    cancel: 'Cancel',
    skipped: 'skipped',
    resumed: 'resumed after a server restart',
    nothingWritten: 'No event was written. Fix the file or the mapping and import it again, or tick "skip bad rows".',
    moreBad: 'only the first {n} are listed',
    error_bad_rows: 'The file has bad rows',
    error_failed: 'The import failed',
    error_interrupted: 'A server restart interrupted the import',
    builder: "Build the mapping from the file's header",
    builderHint: "Reads the chosen file's header line (only its first 64 KB, nothing is uploaded). Say what the columns hold and press Build mapping: the JSON goes into the editor below, where it can still be changed.",
    builderNoCSV: 'A mapping can be built only from an uncompressed CSV/TSV file; for other files start from a preset or write the JSON.',
    builderEmpty: 'The first line of the file names no columns',
    eventName: 'Event name',
    eventFromColumn: 'from column',
    eventFixed: 'the same name for every row',
    eventFixedPlaceholder: 'e.g. Order Completed',
    userId: 'User id column',
    anonId: 'Anonymous id column (optional)',
    timeColumn: 'Time column',
    timeFormat: 'Time format',
    zone: 'Time zone',
    props: 'Property columns',
    propsHint: 'Tick the columns to import as event properties',
    propName: 'Property',
    propType: 'Type',
    generate: 'Build mapping',
    preview: 'First 5 rows',
    noneCol: '(none)',
    fmt_unix: 'Unix seconds',
    fmt_unix_ms: 'Unix milliseconds',
    fmt_rfc3339: 'RFC 3339 (with offset)',
  },
};

// customTemplate is where a mapping written from scratch starts: one event per row.
const customTemplate = `{
  "format": "csv",
  "event": {"column": "event"},
  "person": {"user_id": "user_id"},
  "time": {"column": "time", "format": "rfc3339"},
  "properties": [
    {"column": "price", "name": "price", "type": "decimal"}
  ]
}
`;

const rank: Record<Role, number> = { owner: 5, admin: 4, analyst: 3, operator: 2, viewer: 1 };
const stateColor: Record<State, string> = {
  queued: 'default',
  validating: 'processing',
  loading: 'processing',
  done: 'success',
  failed: 'error',
  cancelled: 'warning',
};
const running = (j: Job) => j.state === 'queued' || j.state === 'validating' || j.state === 'loading';

function fmtBytes(n: number, lang: string): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return v.toLocaleString(lang, { maximumFractionDigits: i ? 1 : 0 }) + ' ' + units[i];
}

export function ImportPage({ project }: { project: Membership; me: Me }) {
  const { t } = useI18n();
  const s = useStrings(strings);
  if (rank[project.role] < rank.admin) {
    return (
      <div data-testid="import">
        <Typography.Title level={4}>{t('import')}</Typography.Title>
        <Alert type="info" showIcon data-testid="import-forbidden" message={s.forbidden.replace('{role}', t(`role_${project.role}`))} />
      </div>
    );
  }
  return <ImportForm project={project} />;
}

function ImportForm({ project }: { project: Membership }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const errorText = useErrorText();
  const base = `/api/v1/projects/${project.id}`;
  const [presets, setPresets] = useState<Preset[]>([]);
  const [start, setStart] = useState('');
  const [mapping, setMapping] = useState('');
  const [file, setFile] = useState<File>();
  const [skipBad, setSkipBad] = useState(false);
  const [jobs, setJobs] = useState<Job[]>();
  const [maxBytes, setMaxBytes] = useState(0);
  const [selected, setSelected] = useState('');
  const [detail, setDetail] = useState<Job>();
  const [sent, setSent] = useState<number>();
  const [err, setErr] = useState('');
  const timer = useRef<number>();

  const fail = (e: unknown) => setErr(errorText(e));
  const load = useCallback(() => {
    return api<{ imports: Job[]; max_bytes: number }>('GET', base + '/imports').then((r) => {
      setJobs(r.imports);
      setMaxBytes(r.max_bytes);
      return r.imports;
    });
  }, [base]);

  useEffect(() => {
    api<{ presets: Preset[] }>('GET', base + '/import-presets').then((r) => {
      setPresets(r.presets);
      if (r.presets.length) {
        setStart(r.presets[0].name);
        setMapping(r.presets[0].mapping);
      }
    }, fail);
    load().then((l) => l.length && setSelected(l[0].id), fail);
  }, [base, load]);

  // Poll while an import runs.
  const busy = !!jobs?.some(running);
  useEffect(() => {
    if (!busy) return;
    timer.current = window.setInterval(() => load().catch(fail), 700);
    return () => window.clearInterval(timer.current);
  }, [busy, load]);

  const jsonError = useMemo(() => {
    if (!mapping.trim()) return '';
    try {
      JSON.parse(mapping);
      return '';
    } catch (e) {
      return String((e as Error).message);
    }
  }, [mapping]);

  const choose = (v: string) => {
    setStart(v);
    setMapping(v === 'custom' ? customTemplate : presets.find((p) => p.name === v)?.mapping ?? '');
  };

  const submit = async () => {
    if (!file) return;
    setErr('');
    const form = new FormData();
    const preset = presets.find((p) => p.name === start);
    // An unchanged preset is sent by name, so the import says which preset it used.
    if (preset && preset.mapping === mapping) form.append('preset', preset.name);
    else form.append('mapping', mapping);
    form.append('skip_bad', String(skipBad));
    form.append('file', file, file.name);
    setSent(0);
    try {
      const r = await upload<{ import: Job }>(base + '/imports', form, (n, total) => setSent(total ? n / total : 0));
      setSelected(r.import.id);
      setFile(undefined);
      await load();
    } catch (e) {
      fail(e);
    } finally {
      setSent(undefined);
    }
  };

  const cancel = (id: string) => {
    api('DELETE', `${base}/imports/${id}`).then(load, fail);
  };

  // The selected import in full, fetched again whenever its line in the list changes.
  const summary = jobs?.find((j) => j.id === selected);
  const version = summary ? [summary.id, summary.state, summary.pass, summary.rows, summary.bytes_read, summary.events, summary.bad_row_count].join('/') : '';
  useEffect(() => {
    const id = version.split('/')[0];
    if (id) api<{ import: Job }>('GET', `${base}/imports/${id}`).then((r) => setDetail(r.import), fail);
  }, [base, version]);
  const job = detail?.id === selected ? detail : undefined;
  const fileList: UploadFile[] = file ? [{ uid: 'file', name: `${file.name} (${fmtBytes(file.size, lang)})`, status: 'done' }] : [];
  const tooLarge = !!file && maxBytes > 0 && file.size > maxBytes;

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="import">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('import')}
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {s.hint}
      </Typography.Paragraph>
      {err && <Alert type="error" message={err} data-testid="error" closable onClose={() => setErr('')} />}
      <Card size="small" title={s.newImport}>
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space wrap align="start">
            <Typography.Text strong style={{ display: 'inline-block', width: 90 }}>
              {s.file}
            </Typography.Text>
            <div data-testid="import-file">
              <Upload
                accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.gz"
                maxCount={1}
                fileList={fileList}
                beforeUpload={(f) => {
                  setFile(f);
                  return false;
                }}
                onRemove={() => setFile(undefined)}
              >
                <Button>{s.chooseFile}</Button>
              </Upload>
            </div>
            {maxBytes > 0 && <Typography.Text type="secondary">≤ {fmtBytes(maxBytes, lang)}</Typography.Text>}
          </Space>
          {tooLarge && <Alert type="warning" message={`${file?.name}: > ${fmtBytes(maxBytes, lang)}`} />}
          {file && (
            <MappingBuilder
              file={file}
              zone={project.timezone}
              onBuild={(json) => {
                setStart('custom');
                setMapping(json);
              }}
            />
          )}
          <Space wrap>
            <Typography.Text strong style={{ display: 'inline-block', width: 90 }}>
              {s.mapping}
            </Typography.Text>
            <Typography.Text type="secondary">{s.startFrom}</Typography.Text>
            <Select
              value={start}
              onChange={choose}
              style={{ width: 240 }}
              data-testid="mapping-start"
              options={[...presets.map((p) => ({ value: p.name, label: p.name })), { value: 'custom', label: s.custom }]}
            />
          </Space>
          <Input.TextArea
            value={mapping}
            onChange={(e) => {
              setMapping(e.target.value);
              // An edited preset is a custom mapping; the text stays.
              if (start !== 'custom') setStart('custom');
            }}
            autoSize={{ minRows: 8, maxRows: 18 }}
            spellCheck={false}
            data-testid="mapping"
            style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 12 }}
          />
          {jsonError ? (
            <Typography.Text type="danger" data-testid="mapping-invalid">
              {s.badJSON}
              {jsonError}
            </Typography.Text>
          ) : (
            <Typography.Text type="secondary">{s.mappingHint}</Typography.Text>
          )}
          <Checkbox checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} data-testid="skip-bad">
            {s.skipBad}
          </Checkbox>
          <Space>
            <Button
              type="primary"
              onClick={submit}
              disabled={!file || !mapping.trim() || !!jsonError || tooLarge}
              loading={sent !== undefined}
              data-testid="import-start"
            >
              {s.start}
            </Button>
            {sent !== undefined && (
              <Space>
                <Typography.Text type="secondary">{s.uploading}</Typography.Text>
                <Progress percent={Math.floor(sent * 100)} size="small" style={{ width: 200 }} />
              </Space>
            )}
          </Space>
        </Space>
      </Card>
      {job && <JobCard job={job} onCancel={cancel} />}
      <Card size="small" title={s.recent}>
        <Table<Job>
          data-testid="imports-list"
          size="small"
          rowKey="id"
          loading={!jobs}
          dataSource={jobs ?? []}
          pagination={false}
          locale={{ emptyText: s.none }}
          onRow={(j) => ({ onClick: () => setSelected(j.id), style: { cursor: 'pointer', background: j.id === selected ? '#e6f4ff' : undefined } })}
          columns={[
            { title: s.file, dataIndex: 'file', ellipsis: true },
            { title: s.state, dataIndex: 'state', width: 110, render: (v: State) => <Tag color={stateColor[v]}>{s[`state_${v}`]}</Tag> },
            { title: s.events, dataIndex: 'events', width: 110, align: 'right', render: (v: number) => v.toLocaleString(lang) },
            { title: s.badRows, dataIndex: 'bad_row_count', width: 100, align: 'right', render: (v: number) => v.toLocaleString(lang) },
            { title: s.mapping, width: 170, ellipsis: true, render: (_, j) => j.preset ?? s.custom },
            { title: s.created, dataIndex: 'created_at', width: 180, render: (v: string) => new Date(v).toLocaleString(lang) },
            { title: s.by, dataIndex: 'created_by', width: 180, ellipsis: true },
          ]}
        />
      </Card>
    </Space>
  );
}

function JobCard({ job, onCancel }: { job: Job; onCancel: (id: string) => void }) {
  const { lang } = useI18n();
  const s = useStrings(strings);
  const pct = Math.floor(job.progress * 1000) / 10;
  const status = job.state === 'failed' ? 'exception' : job.state === 'done' ? 'success' : job.state === 'cancelled' ? 'normal' : 'active';
  const n = (v: number) => v.toLocaleString(lang);
  const rows = job.rows_total ? `${n(job.rows)} / ${n(job.rows_total)}` : n(job.rows);
  return (
    <Card
      size="small"
      title={
        <Space wrap>
          <span>{s.current}</span>
          <Typography.Text>{job.file}</Typography.Text>
          <Tag color={stateColor[job.state]} data-testid="job-state" data-state={job.state}>
            {s[`state_${job.state}`]}
          </Tag>
          {!!job.resumed && <Tag>{s.resumed}</Tag>}
        </Space>
      }
      extra={
        (job.state === 'queued' || job.state === 'validating') && (
          <Button size="small" onClick={() => onCancel(job.id)} data-testid="import-cancel">
            {s.cancel}
          </Button>
        )
      }
      data-testid="job"
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Progress percent={pct} status={status} data-testid="job-progress" />
        <Descriptions size="small" column={4}>
          <Descriptions.Item label={s.rows}>
            <span data-testid="job-rows">{rows}</span>
          </Descriptions.Item>
          <Descriptions.Item label={s.events}>
            <span data-testid="job-events">{n(job.events)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={s.bytes}>
            {fmtBytes(job.bytes_read, lang)} / {fmtBytes(job.bytes, lang)}
            {job.passes > 1 && job.pass > 0 && running(job) && (
              <Typography.Text type="secondary"> · {s.pass.replace('{a}', String(job.pass)).replace('{b}', String(job.passes))}</Typography.Text>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={s.badRows}>
            <span data-testid="job-bad-count">{n(job.bad_row_count)}</span>
            {!!job.report?.skipped && (
              <Typography.Text type="secondary">
                {' '}
                · {n(job.report.skipped)} {s.skipped}
              </Typography.Text>
            )}
          </Descriptions.Item>
        </Descriptions>
        {job.state === 'validating' && job.passes > 1 && <Typography.Text type="secondary">{s.validatingHint}</Typography.Text>}
        {job.error && (
          <Alert
            type={job.state === 'failed' ? 'error' : 'warning'}
            data-testid="job-error"
            message={
              job.error_code && `error_${job.error_code}` in s ? s[`error_${job.error_code}` as 'error_failed'] : job.error
            }
            description={
              <>
                {job.error_code && `error_${job.error_code}` in s && <div>{job.error}</div>}
                {job.error_code === 'bad_rows' && <div>{s.nothingWritten}</div>}
              </>
            }
          />
        )}
        {!!job.bad_rows?.length && (
          <>
            <Table<BadRow>
              data-testid="bad-rows"
              size="small"
              rowKey={(r) => `${r.line}-${r.kind}-${r.column ?? ''}`}
              dataSource={job.bad_rows}
              pagination={job.bad_rows.length > 10 ? { pageSize: 10, size: 'small' } : false}
              columns={[
                { title: s.line, dataIndex: 'line', width: 90, render: (v: number) => <span data-testid="bad-line">{v}</span> },
                { title: s.kind, dataIndex: 'kind', width: 150 },
                { title: s.column, dataIndex: 'column', width: 150, ellipsis: true },
                { title: s.reason, dataIndex: 'reason', render: (v: string) => <span style={{ wordBreak: 'break-word' }}>{v}</span> },
              ]}
            />
            {job.bad_row_count > job.bad_rows.length && (
              <Typography.Text type="secondary">{s.moreBad.replace('{n}', String(job.bad_rows.length))}</Typography.Text>
            )}
          </>
        )}
      </Space>
    </Card>
  );
}

// splitCSV splits the lines of a file's start into cells (quotes as in RFC 4180; a quoted
// newline is kept in its cell). The last, possibly cut, line is dropped unless it is the only one.
function splitCSV(text: string, delim: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === delim) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if ((cell || row.length) && rows.length === 0) rows.push([...row, cell]);
  return rows;
}

const timeFormats = ['rfc3339', 'unix', 'unix_ms', '2006-01-02 15:04:05', '2006/01/02 15:04:05', '2006-01-02 15:04', '2006/1/2 15:04', '02/01/2006 15:04', '01/02/2006 15:04', '2006-01-02'];
const propTypes = ['string', 'int', 'float', 'decimal', 'decimal_string', 'bool'];

// guessFormat picks the time format a cell looks like.
function guessFormat(v: string | undefined): string {
  const c = (v ?? '').trim();
  if (/^\d{13}$/.test(c)) return 'unix_ms';
  if (/^\d{9,10}(\.\d+)?$/.test(c)) return 'unix';
  if (/^\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(c)) return 'rfc3339';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(c)) return '2006-01-02 15:04:05';
  if (/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/.test(c)) return '2006/01/02 15:04:05';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(c)) return '2006-01-02 15:04';
  if (/^\d{4}-\d\d-\d\d$/.test(c)) return '2006-01-02';
  return 'rfc3339';
}

// guessType picks a property type from sample cells.
function guessType(cells: string[]): string {
  const v = cells.map((c) => c.trim()).filter(Boolean);
  if (!v.length) return 'string';
  if (v.every((c) => /^[+-]?\d{1,15}$/.test(c))) return 'int';
  if (v.every((c) => /^[+-]?\d+\.\d+$/.test(c) || /^[+-]?\d+$/.test(c))) return 'decimal';
  if (v.every((c) => /^(true|false)$/i.test(c))) return 'bool';
  return 'string';
}

const pick = (cols: string[], re: RegExp) => cols.find((c) => re.test(c)) ?? '';

interface Prop {
  column: string;
  on: boolean;
  name: string;
  type: string;
}

// MappingBuilder reads the header and first rows of a chosen CSV file in the browser and
// builds a mapping from what the user says each column holds (docs/import.md, "The mapping
// file"); onBuild gets the JSON text.
function MappingBuilder({ file, zone, onBuild }: { file: File; zone: string; onBuild: (json: string) => void }) {
  const s = useStrings(strings);
  const [rows, setRows] = useState<string[][]>();
  const [delim, setDelim] = useState(',');
  const [eventMode, setEventMode] = useState<'column' | 'name'>('column');
  const [eventColumn, setEventColumn] = useState('');
  const [eventName, setEventName] = useState('');
  const [userCol, setUserCol] = useState('');
  const [anonCol, setAnonCol] = useState('');
  const [timeCol, setTimeCol] = useState('');
  const [format, setFormat] = useState('rfc3339');
  const [tz, setTz] = useState(zone);
  const [props, setProps] = useState<Prop[]>([]);
  const csvLike = !/\.(gz|json|ndjson|jsonl)$/i.test(file.name);

  useEffect(() => {
    if (!csvLike) return;
    let live = true;
    file
      .slice(0, 64 * 1024)
      .text()
      .then((text) => {
        if (!live) return;
        const first = text.split(/\r?\n/, 1)[0] ?? '';
        const d = /\.tsv$/i.test(file.name) || first.split('\t').length > first.split(',').length ? '\t' : first.split(';').length > first.split(',').length ? ';' : ',';
        const r = splitCSV(text.replace(/^\uFEFF/, ''), d, 6);
        setDelim(d);
        setRows(r);
        const cols = r[0] ?? [];
        const ev = pick(cols, /^(event|event_name|behavior|behaviour|action|type)$/i);
        setEventMode(ev ? 'column' : 'name');
        setEventColumn(ev);
        const user = pick(cols, /user|member|customer|uid/i);
        setUserCol(user);
        setAnonCol(pick(cols, /anonymous|device|anon/i));
        const time = pick(cols, /^(time|timestamp|ts|date|datetime|created|created_at|event_time)$|time|date|created|_at$/i);
        setTimeCol(time);
        const ti = cols.indexOf(time);
        setFormat(guessFormat(r[1]?.[ti]));
        setProps(
          cols.map((c, i) => ({
            column: c,
            on: !!c,
            name: c,
            type: guessType(r.slice(1).map((x) => x[i] ?? '')),
          })),
        );
      });
    return () => {
      live = false;
    };
  }, [file, csvLike]);

  if (!csvLike) return <Alert type="info" showIcon message={s.builderNoCSV} data-testid="mapping-builder" />;
  if (!rows) return null;
  const cols = rows[0] ?? [];
  if (!cols.length || cols.every((c) => !c.trim())) return <Alert type="warning" message={s.builderEmpty} data-testid="mapping-builder" />;
  const colOptions = cols.map((c) => ({ value: c, label: c }));
  const withNone = [{ value: '', label: s.noneCol }, ...colOptions];
  const layout = !['rfc3339', 'unix', 'unix_ms'].includes(format);
  // Columns that say who, what or when are not offered as properties.
  const used = new Set([eventMode === 'column' ? eventColumn : '', userCol, anonCol, timeCol].filter(Boolean));
  const chooseTime = (c: string) => {
    setTimeCol(c);
    setFormat(guessFormat(rows[1]?.[cols.indexOf(c)]));
  };
  const ready = !!userCol && !!timeCol && (eventMode === 'column' ? !!eventColumn : !!eventName.trim() && !eventName.trim().startsWith('$')) && (!layout || !!tz);

  const build = () => {
    const m: Record<string, unknown> = { format: 'csv' };
    if (delim !== ',') m.csv = { delimiter: delim };
    m.event = eventMode === 'column' ? { column: eventColumn } : { name: eventName.trim() };
    m.person = anonCol ? { user_id: userCol, anonymous_id: anonCol } : { user_id: userCol };
    m.time = layout ? { column: timeCol, format, zone: tz } : { column: timeCol, format };
    const ps = props.filter((p) => p.on && !used.has(p.column) && p.name.trim()).map((p) => (p.type === 'string' ? { column: p.column, name: p.name.trim() } : { column: p.column, name: p.name.trim(), type: p.type }));
    if (ps.length) m.properties = ps;
    onBuild(JSON.stringify(m, null, 2) + '\n');
  };
  const label = (t: string) => (
    <Typography.Text type="secondary" style={{ display: 'inline-block', minWidth: 110 }}>
      {t}
    </Typography.Text>
  );
  const fmtLabel = (f: string) => (f === 'unix' ? s.fmt_unix : f === 'unix_ms' ? s.fmt_unix_ms : f === 'rfc3339' ? s.fmt_rfc3339 : f);
  return (
    <Card size="small" type="inner" title={s.builder} data-testid="mapping-builder">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">{s.builderHint}</Typography.Text>
        <Space wrap>
          {label(s.eventName)}
          <Radio.Group value={eventMode} onChange={(e) => setEventMode(e.target.value)}>
            <Radio value="column">{s.eventFromColumn}</Radio>
            <Radio value="name">{s.eventFixed}</Radio>
          </Radio.Group>
          {eventMode === 'column' ? (
            <Select value={eventColumn || undefined} onChange={setEventColumn} options={colOptions} style={{ width: 200 }} data-testid="builder-event-column" />
          ) : (
            <Input value={eventName} onChange={(e) => setEventName(e.target.value)} placeholder={s.eventFixedPlaceholder} style={{ width: 200 }} data-testid="builder-event-name" />
          )}
        </Space>
        <Space wrap>
          {label(s.userId)}
          <Select value={userCol || undefined} onChange={setUserCol} options={colOptions} style={{ width: 200 }} data-testid="builder-user" />
          {label(s.anonId)}
          <Select value={anonCol} onChange={setAnonCol} options={withNone} style={{ width: 200 }} />
        </Space>
        <Space wrap>
          {label(s.timeColumn)}
          <Select value={timeCol || undefined} onChange={chooseTime} options={colOptions} style={{ width: 200 }} data-testid="builder-time" />
          {label(s.timeFormat)}
          <Select value={format} onChange={setFormat} options={timeFormats.map((f) => ({ value: f, label: fmtLabel(f) }))} style={{ width: 220 }} data-testid="builder-format" />
          {layout && (
            <>
              {label(s.zone)}
              <Input value={tz} onChange={(e) => setTz(e.target.value.trim())} style={{ width: 160 }} />
            </>
          )}
        </Space>
        <div>
          {label(s.props)}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {s.propsHint}
          </Typography.Text>
        </div>
        <Table<Prop>
          size="small"
          rowKey="column"
          pagination={false}
          dataSource={props}
          scroll={{ y: 240 }}
          columns={[
            {
              title: '',
              width: 40,
              render: (_, p, i) => <Checkbox checked={p.on && !used.has(p.column)} disabled={used.has(p.column)} onChange={(e) => setProps(props.map((q, j) => (j === i ? { ...q, on: e.target.checked } : q)))} />,
            },
            { title: s.column, dataIndex: 'column', ellipsis: true },
            {
              title: s.propName,
              width: 220,
              render: (_, p, i) => <Input size="small" value={p.name} disabled={!p.on || used.has(p.column)} onChange={(e) => setProps(props.map((q, j) => (j === i ? { ...q, name: e.target.value } : q)))} />,
            },
            {
              title: s.propType,
              width: 170,
              render: (_, p, i) => (
                <Select
                  size="small"
                  value={p.type}
                  disabled={!p.on || used.has(p.column)}
                  style={{ width: 150 }}
                  options={propTypes.map((t) => ({ value: t, label: t }))}
                  onChange={(v) => setProps(props.map((q, j) => (j === i ? { ...q, type: v } : q)))}
                />
              ),
            },
          ]}
        />
        <Typography.Text strong>{s.preview}</Typography.Text>
        <Table<{ n: number; cells: string[] }>
          size="small"
          data-testid="builder-preview"
          rowKey="n"
          pagination={false}
          dataSource={rows.slice(1, 6).map((cells, n) => ({ n, cells }))}
          scroll={{ x: 'max-content' }}
          columns={cols.map((c, i) => ({ title: c, key: String(i), render: (_: unknown, r: { cells: string[] }) => r.cells[i] ?? '' }))}
        />
        <Button type="primary" ghost onClick={build} disabled={!ready} data-testid="builder-generate">
          {s.generate}
        </Button>
      </Space>
    </Card>
  );
}
