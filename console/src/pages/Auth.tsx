// Sign-in and first-run set-up forms.
import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Typography } from 'antd';
import { api, setCsrf, type Me } from '../api';
import { useI18n } from '../i18n';

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  const { t, lang, setLang } = useI18n();
  return (
    <div style={{ display: 'flex', justifyContent: 'center', paddingTop: '10vh', paddingInline: 16 }}>
      <Card style={{ width: 400, maxWidth: '100%' }} title={<span>{t('appName')} · {title}</span>}
        extra={<Button type="link" data-testid="lang" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>{t('language')}</Button>}>
        {children}
      </Card>
    </div>
  );
}

export function LoginPage({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setErr('');
    try {
      const me = await api<Me>('POST', '/api/v1/auth/login', v);
      setCsrf(me.csrf_token);
      onDone();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title={t('signIn')}>
      <Form layout="vertical" onFinish={submit} data-testid="login-form">
        <Form.Item name="email" label={t('email')} rules={[{ required: true, message: t('required') }]}>
          <Input autoComplete="username" data-testid="email" />
        </Form.Item>
        <Form.Item name="password" label={t('password')} rules={[{ required: true, message: t('required') }]}>
          <Input.Password autoComplete="current-password" data-testid="password" />
        </Form.Item>
        {err && <Alert type="error" message={err} style={{ marginBottom: 16 }} />}
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="submit">
          {t('signIn')}
        </Button>
      </Form>
    </Frame>
  );
}

export function SetupPage({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (v: { email: string; password: string; name?: string }) => {
    setBusy(true);
    setErr('');
    try {
      const me = await api<Me>('POST', '/api/v1/setup', v.name ? v : { email: v.email, password: v.password });
      setCsrf(me.csrf_token);
      onDone();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title={t('setupTitle')}>
      <Typography.Paragraph type="secondary">{t('setupHint')}</Typography.Paragraph>
      <Form layout="vertical" onFinish={submit} data-testid="setup-form">
        <Form.Item name="email" label={t('email')} rules={[{ required: true, type: 'email', message: t('required') }]}>
          <Input autoComplete="username" data-testid="email" />
        </Form.Item>
        <Form.Item name="name" label={t('name')}>
          <Input data-testid="name" />
        </Form.Item>
        <Form.Item name="password" label={t('password')} extra={t('passwordRule')} rules={[{ required: true, min: 8, message: t('passwordRule') }]}>
          <Input.Password autoComplete="new-password" data-testid="password" />
        </Form.Item>
        {err && <Alert type="error" message={err} style={{ marginBottom: 16 }} />}
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="submit">
          {t('createOwner')}
        </Button>
      </Form>
    </Frame>
  );
}

// PasswordDialog changes the signed-in user's password (POST /api/v1/auth/password); the
// server ends the user's other sessions.
export function PasswordDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (v: { current_password: string; new_password: string }) => {
    setBusy(true);
    setErr('');
    try {
      await api('POST', '/api/v1/auth/password', v);
      message.success(t('passwordChanged'));
      form.resetFields();
      onClose();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('changePassword')} onCancel={onClose} okText={t('save')} cancelText={t('cancel')} confirmLoading={busy} onOk={() => form.submit()}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="current_password" label={t('currentPassword')} rules={[{ required: true, message: t('required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="new_password" label={t('newPassword')} extra={t('passwordRule')} rules={[{ required: true, min: 8, message: t('passwordRule') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {err && <Alert type="error" message={err} />}
      </Form>
    </Modal>
  );
}
