// Settings (项目设置): the project's name, time zone and currency, its write key and secret
// key (rotatable; a new secret key is shown once), and its members. Only the actions the
// caller's role allows are offered (admin and up: settings, keys, members; only an owner
// makes or changes owners); the server checks every call anyway (docs/access.md).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, AutoComplete, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ButtonProps } from 'antd';
import { api, useErrorText, type Me, type Membership, type Role } from '../api';
import { useI18n, useStrings, type Key } from '../i18n';

const strings = {
  'zh-CN': {
    memberPassword: '初始密码（仅新用户）',
    memberPasswordHelp: '添加已有账号的用户时不填密码；新用户需要一个 8 到 256 字节的初始密码，登录后请让他修改。',
    passwordBytes: '8 到 256 个字节（一个汉字 3 个字节）',
    invalidEmail: '请输入有效的邮箱地址',
    lastOwner: '项目至少要保留一位所有者：先让其他成员成为所有者，才能移除或改变这位所有者。',
  },
  en: {
    memberPassword: 'Initial password (new users)',
    memberPasswordHelp: 'Leave the password empty to add a user who has an account; a new user needs an initial password of 8 to 256 bytes, to be changed after signing in.',
    passwordBytes: '8 to 256 bytes (a Chinese character is 3)',
    invalidEmail: 'Enter a valid email address',
    lastOwner: 'A project keeps at least one owner: make someone else owner before removing or changing this one.',
  },
};

interface ProjectInfo {
  id: number;
  name: string;
  timezone: string;
  currency: string;
  write_key: string;
  secret_key_prefix: string;
  created_at: string;
}

interface Member {
  user_id: number;
  email: string;
  name: string;
  role: Role;
  created_at: string;
}

// testid puts a data-testid on a component whose props do not declare data attributes.
const testid = (id: string) => ({ 'data-testid': id }) as unknown as ButtonProps;

const rank: Record<Role, number> = { owner: 5, admin: 4, analyst: 3, operator: 2, viewer: 1 };
const roles: Role[] = ['owner', 'admin', 'analyst', 'operator', 'viewer'];

const fallbackZones = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'America/New_York', 'UTC'];
export const currencies = ['CNY', 'HKD', 'TWD', 'USD', 'EUR', 'JPY', 'SGD', 'GBP'];

export function timeZones(): string[] {
  const f = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  try {
    const z = f ? f('timeZone') : [];
    return z.length ? Array.from(new Set(['Asia/Shanghai', 'UTC', ...z])) : fallbackZones;
  } catch {
    return fallbackZones;
  }
}

export function SettingsPage({ project, me, onChanged }: { project: Membership; me: Me; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const errorText = useErrorText();
  const { message } = App.useApp();
  const admin = rank[project.role] >= rank.admin;
  const owner = project.role === 'owner';
  const [info, setInfo] = useState<ProjectInfo>();
  const [members, setMembers] = useState<Member[]>();
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState('');
  const [newSecret, setNewSecret] = useState('');
  const [form] = Form.useForm();
  const [addForm] = Form.useForm();
  const base = `/api/v1/projects/${project.id}`;

  const fail = (e: unknown) => setErr(e);
  const loadMembers = useCallback(() => {
    if (admin) api<{ members: Member[] }>('GET', base + '/members').then((r) => setMembers(r.members ?? []), fail);
  }, [admin, base]);
  useEffect(() => {
    api<ProjectInfo>('GET', base).then((p) => {
      setInfo(p);
      form.setFieldsValue({ name: p.name, timezone: p.timezone, currency: p.currency });
    }, fail);
    loadMembers();
  }, [base, form, loadMembers]);

  const run = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setErr(undefined);
    try {
      await f();
    } catch (e) {
      fail(e);
    } finally {
      setBusy('');
    }
  };

  const save = (v: { name: string; timezone: string; currency: string }) =>
    run('save', async () => {
      const p = await api<ProjectInfo>('PATCH', base, { name: v.name, timezone: v.timezone, currency: v.currency });
      setInfo(p);
      message.success(t('saved'));
      onChanged();
    });

  const rotate = (key: 'write' | 'secret') =>
    run('rotate-' + key, async () => {
      const r = await api<{ write_key?: string; secret_key?: string; secret_key_prefix?: string }>('POST', base + '/keys/rotate', { key });
      setInfo((i) => (i ? { ...i, write_key: r.write_key ?? i.write_key, secret_key_prefix: r.secret_key_prefix ?? i.secret_key_prefix } : i));
      if (r.secret_key) setNewSecret(r.secret_key);
      else message.success(t('rotated'));
    });

  const roleLabel = (r: Role) => t(('role_' + r) as Key);
  // An admin may not make owners; only an owner may change or remove an owner.
  const assignable = roles.filter((r) => owner || r !== 'owner');
  const mayTouch = (m: Member) => admin && (owner || m.role !== 'owner');
  // The only owner can be neither removed nor demoted (the server answers 409 last_owner).
  const owners = (members ?? []).filter((m) => m.role === 'owner').length;
  const lastOwner = (m: Member) => m.role === 'owner' && owners <= 1;

  if (err !== undefined && !info) return <Alert type="error" message={errorText(err)} data-testid="error" />;
  if (!info) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle" data-testid="settings">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('settings')}
      </Typography.Title>
      {err !== undefined && <Alert type="error" message={errorText(err)} closable onClose={() => setErr(undefined)} data-testid="settings-error" />}
      {!admin && <Alert type="info" message={t('readOnlyHint')} data-testid="read-only" />}
      <Card size="small" title={t('projectSettings')} extra={<Tag>{t('yourRole')}: {roleLabel(project.role)}</Tag>}>
        <Form form={form} layout="inline" onFinish={save} disabled={!admin} data-testid="settings-form">
          <Form.Item name="name" label={t('name')} rules={[{ required: true, message: t('required') }, { max: 200 }]}>
            <Input style={{ width: 200 }} data-testid="project-name" />
          </Form.Item>
          <Form.Item name="timezone" label={t('timezone')} rules={[{ required: true, message: t('required') }]}>
            <Select showSearch style={{ width: 200 }} options={timeZones().map((z) => ({ value: z, label: z }))} data-testid="timezone" />
          </Form.Item>
          <Form.Item name="currency" label={t('currency')} rules={[{ required: true, message: t('required') }]}>
            <AutoComplete style={{ width: 100 }} options={currencies.map((c) => ({ value: c }))} data-testid="currency" />
          </Form.Item>
          {admin && (
            <Form.Item>
              <Button type="primary" htmlType="submit" loading={busy === 'save'} data-testid="save-settings">
                {t('save')}
              </Button>
            </Form.Item>
          )}
        </Form>
      </Card>
      <Card size="small" title={t('keys')}>
        <Space direction="vertical">
          <Space wrap>
            <Typography.Text>{t('writeKey')}:</Typography.Text>
            <Typography.Text code copyable data-testid="settings-write-key">
              {info.write_key}
            </Typography.Text>
            {admin && (
              <Popconfirm title={t('rotateWriteConfirm')} onConfirm={() => rotate('write')} okText={t('rotate')} okButtonProps={testid('confirm-rotate-write')} cancelText={t('cancel')}>
                <Button loading={busy === 'rotate-write'} data-testid="rotate-write">
                  {t('rotate')}
                </Button>
              </Popconfirm>
            )}
          </Space>
          <Space wrap>
            <Typography.Text>{t('secretKey')}:</Typography.Text>
            <Typography.Text code data-testid="secret-prefix">
              {info.secret_key_prefix}…
            </Typography.Text>
            {admin && (
              <Popconfirm title={t('rotateSecretConfirm')} onConfirm={() => rotate('secret')} okText={t('rotate')} okButtonProps={testid('confirm-rotate-secret')} cancelText={t('cancel')}>
                <Button loading={busy === 'rotate-secret'} data-testid="rotate-secret">
                  {t('rotate')}
                </Button>
              </Popconfirm>
            )}
          </Space>
          <Typography.Text type="secondary">{t('secretKeyHint')}</Typography.Text>
        </Space>
      </Card>
      {admin && (
        <Card size="small" title={t('members')} data-testid="members">
          <Table<Member>
            size="small"
            rowKey="user_id"
            loading={!members}
            dataSource={members ?? []}
            pagination={false}
            scroll={{ x: true }}
            columns={[
              {
                title: t('email'),
                dataIndex: 'email',
                render: (v: string, m) => (
                  <span>
                    {v} {m.user_id === me.user.id && <Tag>{t('you')}</Tag>}
                  </span>
                ),
              },
              { title: t('name'), dataIndex: 'name' },
              {
                title: t('role'),
                dataIndex: 'role',
                render: (r: Role, m) =>
                  mayTouch(m) && !lastOwner(m) ? (
                    <Select
                      value={r}
                      style={{ width: 120 }}
                      options={assignable.map((x) => ({ value: x, label: roleLabel(x) }))}
                      onChange={(role) => run('role', async () => (await api('PATCH', `${base}/members/${m.user_id}`, { role }), loadMembers()))}
                    />
                  ) : (
                    roleLabel(r)
                  ),
              },
              { title: t('joined'), dataIndex: 'created_at', render: (v: string) => (v ? new Date(v).toLocaleDateString(lang) : '') },
              {
                title: '',
                key: 'remove',
                render: (_: unknown, m) =>
                  mayTouch(m) &&
                  (lastOwner(m) ? (
                    <Tooltip title={s.lastOwner}>
                      <Button size="small" danger disabled data-testid="remove-member-disabled">
                        {t('remove')}
                      </Button>
                    </Tooltip>
                  ) : (
                    <Popconfirm
                      title={t('confirmRemove')}
                      okText={t('remove')}
                      cancelText={t('cancel')}
                      onConfirm={() => run('remove', async () => (await api('DELETE', `${base}/members/${m.user_id}`), loadMembers()))}
                    >
                      <Button size="small" danger>
                        {t('remove')}
                      </Button>
                    </Popconfirm>
                  )),
              },
            ]}
          />
          <Typography.Title level={5}>{t('addMember')}</Typography.Title>
          <Form
            form={addForm}
            layout="inline"
            initialValues={{ role: 'viewer' }}
            onFinish={(v: { email: string; role: Role; name?: string; password?: string }) =>
              run('add', async () => {
                const body: Record<string, string> = { email: v.email.trim(), role: v.role };
                if (v.name?.trim()) body.name = v.name.trim();
                if (v.password) body.password = v.password;
                await api('POST', base + '/members', body);
                addForm.resetFields();
                loadMembers();
              })
            }
          >
            <Form.Item
              name="email"
              rules={[
                { required: true, message: t('required') },
                { type: 'email', message: s.invalidEmail },
              ]}
            >
              <Input placeholder={t('email')} style={{ width: 200 }} data-testid="member-email" />
            </Form.Item>
            <Form.Item name="role">
              <Select style={{ width: 120 }} options={assignable.map((x) => ({ value: x, label: roleLabel(x) }))} />
            </Form.Item>
            <Form.Item name="name">
              <Input placeholder={t('name')} style={{ width: 140 }} />
            </Form.Item>
            <Form.Item
              name="password"
              rules={[
                {
                  validator: (_, v?: string) => {
                    if (!v) return Promise.resolve();
                    const n = new TextEncoder().encode(v).length;
                    return n >= 8 && n <= 256 && v.trim() ? Promise.resolve() : Promise.reject(new Error(s.passwordBytes));
                  },
                },
              ]}
            >
              <Input.Password placeholder={s.memberPassword} style={{ width: 240 }} autoComplete="new-password" data-testid="member-password" />
            </Form.Item>
            <Form.Item>
              <Button htmlType="submit" loading={busy === 'add'} data-testid="add-member">
                {t('add')}
              </Button>
            </Form.Item>
          </Form>
          <Typography.Text type="secondary" style={{ display: 'block', marginTop: 8 }}>
            {s.memberPasswordHelp}
          </Typography.Text>
        </Card>
      )}
      <Modal open={!!newSecret} title={t('newSecretKey')} onOk={() => setNewSecret('')} onCancel={() => setNewSecret('')} cancelButtonProps={{ style: { display: 'none' } }}>
        <Typography.Paragraph code copyable data-testid="new-secret-key">
          {newSecret}
        </Typography.Paragraph>
      </Modal>
    </Space>
  );
}
