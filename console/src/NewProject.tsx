// NewProject is the header's "new project" dialog: any signed-in user may create a project
// (POST /api/v1/projects) and becomes its owner; the new secret key is shown once.
import { useState } from 'react';
import { Alert, AutoComplete, Button, Form, Input, Modal, Select, Typography } from 'antd';
import { api, useErrorText, type Membership } from './api';
import { useI18n, useStrings } from './i18n';
import { currencies, timeZones } from './pages/Settings';

const strings = {
  'zh-CN': {
    newProject: '新建项目',
    create: '创建',
    created: '项目已创建。这是它的 Secret Key，只显示这一次，请妥善保存：',
    done: '完成',
  },
  en: {
    newProject: 'New project',
    create: 'Create',
    created: 'The project is created. This is its secret key, shown only this once; keep it safe:',
    done: 'Done',
  },
};

export function NewProjectButton({ onCreated }: { onCreated: (id: number) => void | Promise<void> }) {
  const { t } = useI18n();
  const s = useStrings(strings);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const errorText = useErrorText();
  const [err, setErr] = useState('');
  const [secret, setSecret] = useState('');
  const [created, setCreated] = useState<number>();
  const [form] = Form.useForm();
  const submit = async (v: { name: string; timezone: string; currency: string }) => {
    setBusy(true);
    setErr('');
    try {
      const r = await api<{ project: Membership; secret_key: string }>('POST', '/api/v1/projects', v);
      setSecret(r.secret_key);
      setCreated(r.project.id);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const close = async () => {
    setOpen(false);
    setSecret('');
    setErr('');
    form.resetFields();
    if (created !== undefined) {
      const id = created;
      setCreated(undefined);
      await onCreated(id);
    }
  };
  return (
    <>
      <Button data-testid="new-project" onClick={() => setOpen(true)}>
        + {s.newProject}
      </Button>
      <Modal
        open={open}
        title={s.newProject}
        onCancel={close}
        footer={
          secret ? (
            <Button type="primary" onClick={close} data-testid="new-project-done">
              {s.done}
            </Button>
          ) : (
            <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="new-project-create">
              {s.create}
            </Button>
          )
        }
      >
        {secret ? (
          <>
            <Typography.Paragraph>{s.created}</Typography.Paragraph>
            <Typography.Paragraph code copyable data-testid="new-project-secret">
              {secret}
            </Typography.Paragraph>
          </>
        ) : (
          <Form form={form} layout="vertical" onFinish={submit} initialValues={{ timezone: 'Asia/Shanghai', currency: 'CNY' }}>
            <Form.Item name="name" label={t('name')} rules={[{ required: true, message: t('required') }]}>
              <Input maxLength={200} data-testid="new-project-name" />
            </Form.Item>
            <Form.Item name="timezone" label={t('timezone')} rules={[{ required: true, message: t('required') }]}>
              <Select showSearch options={timeZones().map((z) => ({ value: z, label: z }))} />
            </Form.Item>
            <Form.Item name="currency" label={t('currency')} rules={[{ required: true, message: t('required') }]}>
              <AutoComplete options={currencies.map((c) => ({ value: c }))} />
            </Form.Item>
            {err && <Alert type="error" message={err} data-testid="error" />}
          </Form>
        )}
      </Modal>
    </>
  );
}
