// Sign-in and first-run set-up forms.
import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { api, setCsrf, useErrorText, type Me } from '../api';
import { useI18n, useStrings } from '../i18n';

const strings = {
  'zh-CN': {
    invalidEmail: '请输入有效的邮箱地址',
    passwordRule: '8 到 256 个字节（UTF-8 编码：英文字母、数字和符号各 1 个字节，一个汉字 3 个字节），不能只有空格',
    tooShort: '密码太短：至少 8 个字节，现在是 {n} 个',
    tooLong: '密码太长：最多 256 个字节，现在是 {n} 个',
    onlySpaces: '密码不能只有空格',
  },
  en: {
    invalidEmail: 'Enter a valid email address',
    passwordRule: '8 to 256 bytes in UTF-8 (a Latin letter, digit or sign is 1 byte, a Chinese character 3), not only spaces',
    tooShort: 'Too short: at least 8 bytes, this is {n}',
    tooLong: 'Too long: at most 256 bytes, this is {n}',
    onlySpaces: 'A password cannot be only spaces',
  },
};

// usePasswordRules checks a new password the way the server does (docs/access.md,
// "Passwords"): 8 to 256 bytes of UTF-8, not only spaces. The rule itself is the field's
// hint, so an error says only what is wrong with this password.
function usePasswordRules(): Rule[] {
  const { t } = useI18n();
  const s = useStrings(strings);
  return [
    { required: true, message: t('required') },
    {
      validator: (_, v?: string) => {
        if (!v) return Promise.resolve();
        const n = new TextEncoder().encode(v).length;
        if (n < 8) return Promise.reject(new Error(s.tooShort.replace('{n}', String(n))));
        if (n > 256) return Promise.reject(new Error(s.tooLong.replace('{n}', String(n))));
        if (!v.trim()) return Promise.reject(new Error(s.onlySpaces));
        return Promise.resolve();
      },
    },
  ];
}

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
  const errorText = useErrorText();
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setErr(undefined);
    try {
      const me = await api<Me>('POST', '/api/v1/auth/login', v);
      setCsrf(me.csrf_token);
      onDone();
    } catch (e) {
      setErr(e);
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
        {err !== undefined && <Alert type="error" message={errorText(err)} style={{ marginBottom: 16 }} data-testid="auth-error" />}
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="submit">
          {t('signIn')}
        </Button>
      </Form>
    </Frame>
  );
}

export function SetupPage({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const s = useStrings(strings);
  const passwordRules = usePasswordRules();
  const errorText = useErrorText();
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { email: string; password: string; name?: string }) => {
    setBusy(true);
    setErr(undefined);
    try {
      const me = await api<Me>('POST', '/api/v1/setup', v.name ? v : { email: v.email, password: v.password });
      setCsrf(me.csrf_token);
      onDone();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title={t('setupTitle')}>
      <Typography.Paragraph type="secondary">{t('setupHint')}</Typography.Paragraph>
      <Form layout="vertical" onFinish={submit} data-testid="setup-form">
        <Form.Item
          name="email"
          label={t('email')}
          rules={[
            { required: true, message: t('required') },
            { type: 'email', message: s.invalidEmail },
          ]}
        >
          <Input autoComplete="username" data-testid="email" />
        </Form.Item>
        <Form.Item name="name" label={t('name')}>
          <Input data-testid="name" />
        </Form.Item>
        <Form.Item name="password" label={t('password')} extra={s.passwordRule} rules={passwordRules}>
          <Input.Password autoComplete="new-password" data-testid="password" />
        </Form.Item>
        {err !== undefined && <Alert type="error" message={errorText(err)} style={{ marginBottom: 16 }} data-testid="auth-error" />}
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
  const s = useStrings(strings);
  const errorText = useErrorText();
  const passwordRules = usePasswordRules();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { current_password: string; new_password: string }) => {
    setBusy(true);
    setErr(undefined);
    try {
      await api('POST', '/api/v1/auth/password', v);
      message.success(t('passwordChanged'));
      form.resetFields();
      onClose();
    } catch (e) {
      setErr(e);
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
        <Form.Item name="new_password" label={t('newPassword')} extra={s.passwordRule} rules={passwordRules}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {err !== undefined && <Alert type="error" message={errorText(err)} />}
      </Form>
    </Modal>
  );
}
