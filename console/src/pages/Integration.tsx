// Integration (集成): the snippets a shop's developer pastes, with this project's write key
// and this server's address filled in (docs/sdk.md has the full guide).
import { useEffect, useState } from 'react';
import { Alert, Card, Space, Typography } from 'antd';
import { api, useErrorText, type Membership } from '../api';
import { useI18n } from '../i18n';

interface ProjectInfo {
  id: number;
  write_key: string;
}

export function snippets(writeKey: string, host: string) {
  return {
    miniprogram: `// app.js — first lines, before App()
const jingyun = require('./utils/jingyun.js'); // sdk/js: dist/miniprogram

jingyun.init({
  writeKey: '${writeKey}',
  host: '${host}',
});

App({
  onLaunch() {
    // after your login: jingyun.setOpenid(openid, unionid); jingyun.identify(memberId)
  },
});

// a product page: one line per business event
jingyun.track('Product Added', { product_id: 'P1', price: 59.9, quantity: 1, currency: 'CNY' });`,
    web: `<script src="/static/jingyun.min.js"></script> <!-- sdk/js: dist/jingyun.web.js -->
<script>
  jingyun.init({ writeKey: '${writeKey}', host: '${host}' });
  jingyun.track('Product Viewed', { product_id: 'P1', price: 59.9, currency: 'CNY' });
</script>`,
    go: `jy, err := jingyun.New(jingyun.Config{ // github.com/jingyun/jingyun/sdk/go/jingyun
	Endpoint: "${host}",
	WriteKey: "${writeKey}",
})
if err != nil {
	log.Fatal(err)
}
defer jy.Close() // flushes what is queued`,
    curl: `curl -u '${writeKey}:' ${host}/v1/track \\
  -d '{"anonymousId":"dev-1","event":"Product Viewed","properties":{"product_id":"P1","price":59.9}}'`,
  };
}

export function IntegrationPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [info, setInfo] = useState<ProjectInfo>();
  const errorText = useErrorText();
  const [err, setErr] = useState('');
  useEffect(() => {
    api<ProjectInfo>('GET', `/api/v1/projects/${project.id}`)
      .then(setInfo)
      .catch((e) => setErr(errorText(e)));
  }, [project.id]);
  if (err) return <Alert type="error" message={err} />;
  if (!info) return null;
  const s = snippets(info.write_key, location.origin);
  const block = (title: string, code: string, id: string) => (
    <Card size="small" title={title} data-testid={'snippet-' + id}>
      <Typography.Paragraph copyable={{ text: code }} style={{ marginBottom: 0 }}>
        <pre style={{ margin: 0, overflowX: 'auto', fontSize: 12 }}>{code}</pre>
      </Typography.Paragraph>
    </Card>
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle" data-testid="integration">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('integration')}
      </Typography.Title>
      <Typography.Text>
        {t('writeKey')}: <Typography.Text code copyable data-testid="write-key">{info.write_key}</Typography.Text>
      </Typography.Text>
      <Typography.Text type="secondary">{t('integrationHint')}</Typography.Text>
      {block(t('snippetMiniprogram'), s.miniprogram, 'miniprogram')}
      {block(t('snippetWeb'), s.web, 'web')}
      {block(t('snippetGo'), s.go, 'go')}
      {block(t('snippetCurl'), s.curl, 'curl')}
    </Space>
  );
}
