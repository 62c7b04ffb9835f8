// App decides what to show: the first-run set-up, the sign-in form, or the console with its
// header (project switcher, language, user menu) and pages.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, ConfigProvider, Dropdown, Layout, Menu, Result, Select, Space, Spin, Typography } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { api, ApiError, errorText, setCsrf, type Me } from './api';
import { dictionaries, I18nContext, initialLang, storeLang, useI18n, useStrings, type I18n, type Lang } from './i18n';
import { ProjectContext } from './definitions';
import { navigate, pageOf, pages, usePath, type Page } from './router';
import { LoginPage, PasswordDialog, SetupPage } from './pages/Auth';
import { Overview } from './pages/Overview';
import { TrendsPage } from './pages/Trends';
import { FunnelPage } from './pages/Funnel';
import { RetentionPage } from './pages/Retention';
import { IntegrationPage } from './pages/Integration';
import { SettingsPage } from './pages/Settings';
import { DashboardsPage } from './pages/Dashboards';
import { LivePage } from './pages/Live';
import { DefinitionsPage } from './pages/Definitions';
import { ImportPage } from './pages/Import';
import { PersonsPage } from './pages/Persons';
import { ProductsPage } from './pages/Products';
import { NewProjectButton } from './NewProject';

type State = { kind: 'loading' } | { kind: 'setup' } | { kind: 'login' } | { kind: 'in'; me: Me } | { kind: 'error'; error: unknown };

const projectKey = 'jingyun.project';

const strings = {
  'zh-CN': {
    notFound: '页面不存在',
    notFoundHint: '没有地址为 {path} 的页面。',
    home: '返回运营看板',
  },
  en: {
    notFound: 'Page not found',
    notFoundHint: 'There is no page at {path}.',
    home: 'Back to the overview',
  },
};

// knownPath reports whether the router has a page for path: "/" and the pages' own paths
// (pageOf falls back to the overview for anything else, which would hide a wrong link).
function knownPath(path: string): boolean {
  const first = path.replace(/^\/+|\/+$/g, '').split('/')[0];
  return first === '' || (pages as string[]).includes(first);
}

function NotFound({ path }: { path: string }) {
  const s = useStrings(strings);
  return (
    <Result
      status="404"
      title={s.notFound}
      subTitle={s.notFoundHint.replace('{path}', path)}
      data-testid="not-found"
      extra={
        <Button type="primary" href="/" onClick={(e) => {
          e.preventDefault();
          navigate('/');
        }}>
          {s.home}
        </Button>
      }
    />
  );
}

function hasSessionCookie() {
  return document.cookie.split(';').some((c) => c.trim().startsWith('jingyun_csrf='));
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n: I18n = useMemo(
    () => ({
      lang,
      t: (k) => dictionaries[lang][k],
      setLang: (l) => {
        storeLang(l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = lang === 'en' ? 'Jingyun console' : '精运控制台';
  }, [lang]);

  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(async () => {
    try {
      // Only ask /auth/me when a session may exist: a 401 would show as a console error.
      if (hasSessionCookie()) {
        try {
          const me = await api<Me>('GET', '/api/v1/auth/me');
          setCsrf(me.csrf_token);
          setState({ kind: 'in', me });
          return;
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 401)) throw e;
        }
      }
      const s = await api<{ needed: boolean }>('GET', '/api/v1/setup');
      setState({ kind: s.needed ? 'setup' : 'login' });
    } catch (e) {
      setState({ kind: 'error', error: e });
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  let body;
  switch (state.kind) {
    case 'loading':
      body = <Spin style={{ display: 'block', marginTop: 120 }} />;
      break;
    case 'error':
      body = <Result status="error" title={i18n.t('error')} subTitle={errorText(state.error, lang)} />;
      break;
    case 'setup':
      body = <SetupPage onDone={load} />;
      break;
    case 'login':
      body = <LoginPage onDone={load} />;
      break;
    case 'in':
      body = (
        <Shell
          me={state.me}
          onChanged={load}
          onSignOut={async () => {
            await api('POST', '/api/v1/auth/logout');
            setCsrf('');
            setState({ kind: 'login' });
          }}
        />
      );
  }
  return (
    <I18nContext.Provider value={i18n}>
      <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff' } }} button={{ autoInsertSpace: false }}>
        <AntApp>{body}</AntApp>
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

function Shell({ me, onSignOut, onChanged }: { me: Me; onSignOut: () => void; onChanged: () => void | Promise<void> }) {
  const { t, lang, setLang } = useI18n();
  const path = usePath();
  const page = pageOf(path);
  const [pwOpen, setPwOpen] = useState(false);
  const [project, setProject] = useState<number | undefined>(() => {
    const stored = Number(localStorage.getItem(projectKey));
    if (me.projects.some((p) => p.id === stored)) return stored;
    return me.projects[0]?.id;
  });
  const choose = (id: number) => {
    localStorage.setItem(projectKey, String(id));
    setProject(id);
  };
  const current = me.projects.find((p) => p.id === project);
  const menu = [
    { key: 'overview', label: t('overview') },
    { key: 'dashboards', label: t('dashboards') },
    {
      key: 'analyses',
      label: t('analyses'),
      type: 'group' as const,
      children: [
        { key: 'trends', label: t('trends') },
        { key: 'funnel', label: t('funnel') },
        { key: 'retention', label: t('retention') },
        { key: 'products', label: t('productsNav') },
      ],
    },
    {
      key: 'data',
      label: t('data'),
      type: 'group' as const,
      children: [
        { key: 'live', label: t('live') },
        { key: 'definitions', label: t('definitions') },
        { key: 'import', label: t('import') },
      ],
    },
    { key: 'persons', label: t('personsNav') },
    { key: 'integration', label: t('integration') },
    { key: 'settings', label: t('settings') },
  ];
  let content;
  if (!knownPath(path)) {
    content = <NotFound path={path} />;
  } else if (!current) {
    content = <Result status="info" title={t('noProjects')} />;
  } else {
    const props = { project: current };
    const pagesMap: Record<Page, JSX.Element> = {
      overview: <Overview key={current.id} {...props} />,
      trends: <TrendsPage key={current.id} {...props} />,
      funnel: <FunnelPage key={current.id} {...props} />,
      retention: <RetentionPage key={current.id} {...props} />,
      products: <ProductsPage key={current.id} {...props} />,
      dashboards: <DashboardsPage key={current.id} {...props} me={me} />,
      live: <LivePage key={current.id} {...props} />,
      definitions: <DefinitionsPage key={current.id} {...props} me={me} />,
      import: <ImportPage key={current.id} {...props} me={me} />,
      persons: <PersonsPage key={current.id} {...props} me={me} />,
      integration: <IntegrationPage key={current.id} {...props} />,
      settings: <SettingsPage key={current.id} {...props} me={me} onChanged={onChanged} />,
    };
    content = pagesMap[page];
  }
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" width={190} style={{ borderRight: '1px solid #f0f0f0' }}>
        <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 18 }}>{t('appName')}</div>
        <Menu
          mode="inline"
          selectedKeys={knownPath(path) ? [page] : []}
          items={menu}
          onClick={(e) => navigate('/' + e.key)}
          style={{ borderInlineEnd: 'none' }}
          data-testid="nav"
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 16px', borderBottom: '1px solid #f0f0f0', display: 'flex', alignItems: 'center', gap: 12 }}>
          <Space wrap style={{ flex: 1 }}>
            <Typography.Text type="secondary">{t('project')}</Typography.Text>
            <Select
              data-testid="project"
              value={project}
              onChange={choose}
              style={{ minWidth: 200 }}
              options={me.projects.map((p) => ({ value: p.id, label: `${p.name} (#${p.id})` }))}
            />
            <NewProjectButton
              onCreated={async (id) => {
                await onChanged();
                choose(id);
              }}
            />
          </Space>
          <Button data-testid="lang" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>
            {t('language')}
          </Button>
          <Dropdown
            menu={{
              items: [
                { key: 'pw', label: <span data-testid="change-password">{t('changePassword')}</span>, onClick: () => setPwOpen(true) },
                { key: 'out', label: <span data-testid="sign-out">{t('signOut')}</span>, onClick: onSignOut },
              ],
            }}
          >
            <Button data-testid="user">{me.user.name || me.user.email}</Button>
          </Dropdown>
        </Layout.Header>
        <Layout.Content style={{ padding: 16, minWidth: 0 }}>
          <ProjectContext.Provider value={current?.id}>{content}</ProjectContext.Provider>
        </Layout.Content>
        <PasswordDialog open={pwOpen} onClose={() => setPwOpen(false)} />
      </Layout>
    </Layout>
  );
}
