// Definitions (元数据管理): the tracking plan. The event names and property paths found in
// the project's data, with volumes, last seen, types and examples, and the display names
// and descriptions people give them; analysts and above edit them (the server checks the
// role too). Clicking an event shows its properties, nested paths included.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Button, Drawer, Form, Input, Modal, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { Me, Membership, Role } from '../api';
import {
  eventDefinitions,
  forget,
  maxDescription,
  maxDisplayName,
  projectProperties,
  propertyDefinitions,
  saveDefinition,
  type EventDefinition,
  type PropertyDefinition,
} from '../definitions';
import { useI18n, useStrings } from '../i18n';
import { fmtTime } from '../widgets';

const strings = {
  'zh-CN': {
    title: '元数据管理',
    intro: '从数据中发现的事件和属性。为它们起显示名、写说明，分析页的选择器会一并显示。',
    events: '事件',
    properties: '属性',
    search: '搜索名称、显示名或说明',
    name: '名称',
    displayName: '显示名',
    description: '说明',
    volume: '事件量',
    lastSeen: '最近上报',
    type: '类型',
    example: '示例',
    seenOn: '出现的事件',
    inSample: '样本中次数',
    edit: '编辑',
    save: '保存',
    cancel: '取消',
    editTitle: '编辑定义',
    never: '未上报',
    planOnly: '仅在计划中',
    queryable: '可分析',
    notQueryableHint: '分析可按属性和 context 中的对象路径（如 context.page.path）筛选、分组；数组内的路径（如 products[].price）仅在此查看。',
    context: 'context',
    viewOnly: '你的角色只能查看；分析师及以上可以编辑。',
    eventProperties: '的属性',
    sampledOf: '取自最近 {n} 条事件',
    sampledAll: '每个事件取最近的事件，共 {n} 条',
    refresh: '刷新',
    displayNameHint: '一行，不超过 100 个字',
    descriptionHint: '不超过 2000 个字',
  },
  en: {
    title: 'Definitions',
    intro: 'Events and properties found in your data. Give them display names and descriptions; the pickers of the analyses show them too.',
    events: 'Events',
    properties: 'Properties',
    search: 'Search names, display names or descriptions',
    name: 'Name',
    displayName: 'Display name',
    description: 'Description',
    volume: 'Volume',
    lastSeen: 'Last seen',
    type: 'Type',
    example: 'Example',
    seenOn: 'Seen on',
    inSample: 'In sample',
    edit: 'Edit',
    save: 'Save',
    cancel: 'Cancel',
    editTitle: 'Edit definition',
    never: 'never',
    planOnly: 'plan only',
    queryable: 'Queryable',
    notQueryableHint: 'Analyses filter and break down by paths through objects (such as context.page.path); paths inside arrays (such as products[].price) are listed here only.',
    context: 'context',
    viewOnly: 'Your role can view; analysts and above can edit.',
    eventProperties: ' properties',
    sampledOf: 'from the latest {n} events',
    sampledAll: 'from the latest events of each event, {n} in all',
    refresh: 'Refresh',
    displayNameHint: 'one line, at most 100 characters',
    descriptionHint: 'at most 2000 characters',
  },
};

type S = typeof strings.en;

const editors: Role[] = ['owner', 'admin', 'analyst'];

// Editing is what the edit dialog works on.
interface Editing {
  kind: 'event' | 'property';
  name: string;
  display_name: string;
  description: string;
}

function fmtExample(v: unknown): string {
  if (v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '…' : s;
}

function found(d: { name: string; display_name?: string; description?: string }, q: string): boolean {
  const x = q.trim().toLowerCase();
  return !x || [d.name, d.display_name ?? '', d.description ?? ''].some((s) => s.toLowerCase().includes(x));
}

const byText = (f: (x: never) => string | undefined) => (a: unknown, b: unknown) => (f(a as never) ?? '').localeCompare(f(b as never) ?? '');

export function DefinitionsPage({ project }: { project: Membership; me: Me }) {
  const s = useStrings(strings);
  const { lang } = useI18n();
  const canEdit = editors.includes(project.role);
  const [tab, setTab] = useState('events');
  const [q, setQ] = useState('');
  const [events, setEvents] = useState<EventDefinition[]>();
  const [props, setProps] = useState<PropertyDefinition[]>();
  const [sampled, setSampled] = useState(0);
  const [err, setErr] = useState('');
  const [open, setOpen] = useState<string>(); // the event whose properties show
  const [editing, setEditing] = useState<Editing>();
  const [version, setVersion] = useState(0); // bumped after a save, to reload the drawer

  const load = useCallback(() => {
    setErr('');
    eventDefinitions(project.id).then(setEvents, (e: Error) => setErr(e.message));
    projectProperties(project.id).then(
      (r) => {
        setProps(r.properties);
        setSampled(r.sampled);
      },
      (e: Error) => setErr(e.message),
    );
  }, [project.id]);
  useEffect(load, [load]);

  const edit = (kind: Editing['kind'], d: { name: string; display_name?: string; description?: string }) =>
    setEditing({ kind, name: d.name, display_name: d.display_name ?? '', description: d.description ?? '' });

  const editButton = (kind: Editing['kind'], d: { name: string; display_name?: string; description?: string }) =>
    canEdit && (
      <Button
        size="small"
        type="link"
        data-testid="edit-definition"
        onClick={(e) => {
          e.stopPropagation();
          edit(kind, d);
        }}
      >
        {s.edit}
      </Button>
    );

  const eventColumns: ColumnsType<EventDefinition> = [
    {
      title: s.name,
      dataIndex: 'name',
      sorter: byText((e: EventDefinition) => e.name),
      ellipsis: true,
      render: (n: string) => <Typography.Text code>{n}</Typography.Text>,
    },
    {
      title: s.displayName,
      dataIndex: 'display_name',
      sorter: byText((e: EventDefinition) => e.display_name),
      ellipsis: true,
      render: (v?: string) => <span data-testid="display-name">{v}</span>,
    },
    {
      title: s.description,
      dataIndex: 'description',
      ellipsis: { showTitle: true },
      render: (v?: string) => <span data-testid="description">{v}</span>,
    },
    {
      title: s.volume,
      dataIndex: 'count',
      width: 120,
      align: 'right',
      defaultSortOrder: 'descend',
      sorter: (a, b) => a.count - b.count,
      render: (n: number) => (n > 0 ? <span data-testid="event-volume">{n.toLocaleString(lang)}</span> : <Tag>{s.planOnly}</Tag>),
    },
    {
      title: s.lastSeen,
      dataIndex: 'last_seen',
      width: 180,
      sorter: (a, b) => a.last_seen - b.last_seen,
      render: (t: number) => (t > 0 ? fmtTime(t, lang, project.timezone) : <Typography.Text type="secondary">{s.never}</Typography.Text>),
    },
    { title: '', key: 'edit', width: 70, render: (_, e) => editButton('event', e) },
  ];

  const propertyColumns = (withEvents: boolean): ColumnsType<PropertyDefinition> => [
    {
      title: s.name,
      dataIndex: 'name',
      sorter: byText((p: PropertyDefinition) => p.name),
      ellipsis: true,
      width: withEvents ? 260 : 240,
      render: (n: string, p) => (
        <span style={{ paddingLeft: ((p.depth ?? 1) - 1) * 12 }}>
          <Typography.Text code data-testid="property-name">
            {n}
          </Typography.Text>
        </span>
      ),
    },
    {
      title: <Tooltip title={s.notQueryableHint}>{s.queryable}</Tooltip>,
      dataIndex: 'queryable',
      width: 80,
      align: 'center',
      render: (v?: boolean) =>
        v === false ? (
          <Tooltip title={s.notQueryableHint}>
            <Typography.Text type="secondary">–</Typography.Text>
          </Tooltip>
        ) : (
          <Typography.Text type="success">✓</Typography.Text>
        ),
    },
    {
      title: s.displayName,
      dataIndex: 'display_name',
      width: 140,
      sorter: byText((p: PropertyDefinition) => p.display_name),
      ellipsis: true,
      render: (v?: string) => <span data-testid="display-name">{v}</span>,
    },
    { title: s.description, dataIndex: 'description', ellipsis: { showTitle: true } },
    { title: s.type, dataIndex: 'type', width: 80, sorter: byText((p: PropertyDefinition) => p.type) },
    {
      title: s.example,
      dataIndex: 'example',
      width: 160,
      ellipsis: { showTitle: false },
      render: (v: unknown) => {
        const t = fmtExample(v);
        return (
          <Tooltip title={t}>
            <Typography.Text type="secondary">{t}</Typography.Text>
          </Tooltip>
        );
      },
    },
    ...(withEvents
      ? [
          {
            title: s.seenOn,
            dataIndex: 'events',
            width: 100,
            sorter: (a: PropertyDefinition, b: PropertyDefinition) => (a.events?.length ?? 0) - (b.events?.length ?? 0),
            render: (ev?: string[]) => (
              <Tooltip title={ev?.join(', ')}>
                <span>{ev?.length ?? 0}</span>
              </Tooltip>
            ),
          },
        ]
      : []),
    {
      title: s.inSample,
      dataIndex: 'count',
      width: 100,
      align: 'right',
      sorter: (a, b) => a.count - b.count,
      render: (n: number) => n.toLocaleString(lang),
    },
    { title: '', key: 'edit', width: 70, render: (_, p) => editButton('property', p) },
  ];

  const shownEvents = useMemo(() => events?.filter((e) => found(e, q)), [events, q]);
  const shownProps = useMemo(() => props?.filter((p) => found(p, q)), [props, q]);

  const saved = (e: Editing) => {
    const patch = <T extends { name: string }>(l: T[] | undefined) =>
      l?.map((d) => (d.name === e.name ? { ...d, display_name: e.display_name, description: e.description } : d));
    if (e.kind === 'event') setEvents(patch(events));
    else setProps(patch(props));
    setVersion((v) => v + 1);
    setEditing(undefined);
  };

  return (
    <div data-testid="definitions">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {s.title}
        </Typography.Title>
        <Typography.Text type="secondary">{s.intro}</Typography.Text>
        {!canEdit && <Alert type="info" showIcon message={s.viewOnly} data-testid="view-only" />}
        {err && <Alert type="error" message={err} data-testid="error" />}
        <Tabs
          activeKey={tab}
          onChange={setTab}
          tabBarExtraContent={
            <Space>
              <Input.Search allowClear placeholder={s.search} value={q} onChange={(e) => setQ(e.target.value)} style={{ width: 300 }} data-testid="defs-search" />
              <Button
                onClick={() => {
                  forget(project.id);
                  load();
                }}
              >
                {s.refresh}
              </Button>
            </Space>
          }
          items={[
            {
              key: 'events',
              label: <span data-testid="tab-events">{s.events}</span>,
              children: (
                <div data-testid="defs-events">
                  <Table<EventDefinition>
                    size="small"
                    rowKey="name"
                    tableLayout="fixed"
                    loading={!events && !err}
                    dataSource={shownEvents}
                    columns={eventColumns}
                    pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
                    onRow={(e) => ({ onClick: () => setOpen(e.name), style: { cursor: 'pointer' } })}
                  />
                </div>
              ),
            },
            {
              key: 'properties',
              label: <span data-testid="tab-properties">{s.properties}</span>,
              children: (
                <Space direction="vertical" style={{ width: '100%' }}>
                  {props && <Typography.Text type="secondary">{s.sampledAll.replace('{n}', sampled.toLocaleString(lang))}</Typography.Text>}
                  <div data-testid="defs-properties">
                    <Table<PropertyDefinition>
                      size="small"
                      rowKey={(p) => (p.source ?? '') + ':' + p.name + ':' + (p.depth ?? 1)}
                      tableLayout="fixed"
                      loading={!props && !err}
                      dataSource={shownProps}
                      columns={propertyColumns(true)}
                      pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
                    />
                  </div>
                </Space>
              ),
            },
          ]}
        />
      </Space>
      <EventProperties
        project={project.id}
        event={open}
        def={events?.find((e) => e.name === open)}
        version={version}
        s={s}
        columns={propertyColumns(false)}
        onClose={() => setOpen(undefined)}
      />
      <EditDialog project={project.id} editing={editing} s={s} onCancel={() => setEditing(undefined)} onSaved={saved} />
    </div>
  );
}

// EventProperties is the drawer listing one event's property paths.
function EventProperties({
  project,
  event,
  def,
  version,
  s,
  columns,
  onClose,
}: {
  project: number;
  event?: string;
  def?: EventDefinition;
  version: number;
  s: S;
  columns: ColumnsType<PropertyDefinition>;
  onClose: () => void;
}) {
  const { lang } = useI18n();
  const [list, setList] = useState<PropertyDefinition[]>();
  const [err, setErr] = useState('');
  useEffect(() => {
    if (!event) return;
    let live = true;
    setList(undefined);
    setErr('');
    propertyDefinitions(project, event).then(
      (l) => live && setList(l),
      (e: Error) => live && setErr(e.message),
    );
    return () => {
      live = false;
    };
  }, [project, event, version]);
  const n = list?.reduce((m, p) => Math.max(m, p.count), 0) ?? 0;
  return (
    <Drawer open={!!event} onClose={onClose} width={Math.min(1200, window.innerWidth - 80)} title={<span>{event}{s.eventProperties}</span>} destroyOnHidden>
      <div data-testid="event-properties">
        {err && <Alert type="error" message={err} data-testid="error" />}
        {(def?.display_name || def?.description) && (
          <Typography.Paragraph>
            <Typography.Text strong>{def.display_name}</Typography.Text>
            {def.display_name && def.description && ' · '}
            <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{def.description}</Typography.Text>
          </Typography.Paragraph>
        )}
        {list && (
          <Typography.Paragraph type="secondary">
            {list.length} · {s.sampledOf.replace('{n}', n.toLocaleString(lang))}
          </Typography.Paragraph>
        )}
        <Table<PropertyDefinition>
          size="small"
          rowKey={(p) => (p.source ?? '') + ':' + p.name + ':' + (p.depth ?? 1)}
          tableLayout="fixed"
          loading={!list && !err}
          dataSource={list}
          columns={columns}
          pagination={{ pageSize: 100, hideOnSinglePage: true, showSizeChanger: false }}
        />
      </div>
    </Drawer>
  );
}

// EditDialog edits the display name and description of one definition.
function EditDialog({
  project,
  editing,
  s,
  onCancel,
  onSaved,
}: {
  project: number;
  editing?: Editing;
  s: S;
  onCancel: () => void;
  onSaved: (e: Editing) => void;
}) {
  const [form] = Form.useForm<{ display_name: string; description: string }>();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (editing) {
      form.setFieldsValue({ display_name: editing.display_name, description: editing.description });
      setErr('');
    }
  }, [editing, form]);
  const save = async () => {
    if (!editing) return;
    const v = form.getFieldsValue();
    setBusy(true);
    setErr('');
    try {
      const d = await saveDefinition(project, editing.kind, editing.name, { display_name: v.display_name ?? '', description: v.description ?? '' });
      onSaved({ ...editing, display_name: d.display_name, description: d.description });
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!editing}
      title={s.editTitle}
      onCancel={onCancel}
      onOk={save}
      okText={s.save}
      cancelText={s.cancel}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'save-definition' }}
      forceRender
    >
      <div data-testid="definition-editor">
        <Typography.Paragraph>
          <Typography.Text code>{editing?.name}</Typography.Text>
        </Typography.Paragraph>
        {err && <Alert type="error" message={err} data-testid="error" style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical" onFinish={save}>
          <Form.Item name="display_name" label={s.displayName} extra={s.displayNameHint}>
            <Input maxLength={maxDisplayName} showCount data-testid="edit-display-name" />
          </Form.Item>
          <Form.Item name="description" label={s.description} extra={s.descriptionHint}>
            <Input.TextArea maxLength={maxDescription} showCount autoSize={{ minRows: 3, maxRows: 8 }} data-testid="edit-description" />
          </Form.Item>
        </Form>
      </div>
    </Modal>
  );
}
