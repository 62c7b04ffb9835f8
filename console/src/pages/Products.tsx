// Products (商品排行): the line items (products[]) of the order events in a range, per
// product: orders, units, revenue (price × quantity) and buyers, the top N by a chosen
// figure, as a bar chart and a table. The overview's top products open it prefilled.
import { useState } from 'react';
import { Alert, Button, Card, Form, InputNumber, Select, Space, Table, Tooltip, Typography } from 'antd';
import { type Membership, type ProductRow, type ProductsResult, type Spec } from '../api';
import { Chart, palette } from '../Chart';
import { useI18n, useStrings } from '../i18n';
import { prefill } from '../router';
import { ComputedAt, EventPicker, FiltersEditor, fmtNumber, NoData, RangeSelect, toFilters, type FilterRow, type RangeValue, dateRangeOf, useLabels, useRunQuery } from '../widgets';
import { rangeOf, filterRows, useSavedInsight, type Insight } from '../insights';
import { SaveInsight } from '../SaveInsight';
import type { ProductSort } from '../spec.gen';

const strings = {
  'zh-CN': {
    title: '商品排行',
    hint: '订单事件中的商品明细 (products[])：每个商品的订单数、件数、销售额 (单价 × 数量) 与购买人数。',
    orderEvent: '订单事件',
    sortBy: '排序',
    revenue: '销售额',
    orders: '订单数',
    units: '件数',
    buyers: '购买人数',
    top: '前 N 个',
    product: '商品',
    category: '类目',
    totals: '合计',
    eventLine: '订单事件：',
    totalsLine: '{orders} 笔订单 ({withItems} 笔有商品明细)，{products} 个商品，{units} 件，销售额 {revenue}，{buyers} 位购买者',
    skipped: '{n} 条商品明细缺少商品 ID 或单价/数量不是数字，未计入。',
  },
  en: {
    title: 'Products',
    hint: "The line items (products[]) of the order events: per product, orders, units, revenue (price × quantity) and buyers.",
    orderEvent: 'Order event',
    sortBy: 'Sort by',
    revenue: 'Revenue',
    orders: 'Orders',
    units: 'Units',
    buyers: 'Buyers',
    top: 'Top N',
    product: 'Product',
    category: 'Category',
    totals: 'Totals',
    eventLine: 'Order event: ',
    totalsLine: '{orders} orders ({withItems} with line items), {products} products, {units} units, revenue {revenue}, {buyers} buyers',
    skipped: '{n} line items lack a product id or have a price or quantity that is not a number; they are left out.',
  },
};

const fill = (s: string, v: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k) => v[k] ?? '');

export function ProductsPage({ project }: { project: Membership }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const [init] = useState(() => prefill('products'));
  const [event, setEvent] = useState(init?.spec.event ?? 'Order Completed');
  const [sort, setSort] = useState<ProductSort>(init?.spec.sort ?? 'revenue');
  const [limit, setLimit] = useState(init?.spec.limit ?? 20);
  const [days, setDays] = useState<RangeValue>(init?.days ?? 30);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const { answer, spec: shown, err, setErr, busy, exec } = useRunQuery(project.id);

  const buildSpec = (): Spec => {
    const spec: Spec = { kind: 'products', date_range: dateRangeOf(days), event, sort, limit };
    const f = toFilters(filters);
    if (f) spec.filters = f;
    return spec;
  };
  const run = (spec: Spec = buildSpec()) => exec(spec);
  // Opened with ?insight=ID: show the saved spec in the form and run it as saved.
  const [insight, setInsight] = useState<Insight>();
  const loaded = useSavedInsight(
    project.id,
    'products',
    (i) => {
      const sp = i.spec;
      setEvent(sp.event ?? 'Order Completed');
      setSort(sp.sort ?? 'revenue');
      setLimit(sp.limit ?? 10);
      setDays(rangeOf(sp) ?? days);
      setFilters(filterRows(sp.filters));
      run(sp);
    },
    setErr,
    () => run(),
  );
  const saved = insight ?? loaded;

  const sorts: ProductSort[] = ['revenue', 'orders', 'units', 'buyers'];

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="products">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {s.title}
          {saved && (
            <Typography.Text type="secondary" style={{ fontSize: 14, marginLeft: 12 }} data-testid="insight-title">
              {saved.name}
            </Typography.Text>
          )}
        </Typography.Title>
        <ComputedAt answers={[answer]} timeZone={project.timezone} />
      </Space>
      <Typography.Text type="secondary">{s.hint}</Typography.Text>
      <Card size="small">
        <Form layout="inline" style={{ rowGap: 8 }}>
          <Form.Item label={s.orderEvent}>
            <EventPicker value={event} onChange={setEvent} testid="order-event" />
          </Form.Item>
          <Form.Item label={t('range')}>
            <RangeSelect custom value={days} onChange={setDays} timeZone={project.timezone} />
          </Form.Item>
          <Form.Item label={s.sortBy}>
            <Select value={sort} onChange={setSort} style={{ width: 120 }} data-testid="sort" options={sorts.map((v) => ({ value: v, label: s[v] }))} />
          </Form.Item>
          <Form.Item label={s.top}>
            <InputNumber min={1} max={1000} value={limit} onChange={(v) => setLimit(v ?? 20)} style={{ width: 90 }} />
          </Form.Item>
          <Form.Item>
            <Space wrap>
              <Button type="primary" onClick={() => run()} loading={busy} data-testid="run">
                {t('run')}
              </Button>
              <SaveInsight project={project} getSpec={buildSpec} insight={saved} onSaved={setInsight} />
            </Space>
          </Form.Item>
        </Form>
        <div style={{ marginTop: 8 }}>
          <FiltersEditor rows={filters} onChange={setFilters} />
        </div>
      </Card>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Card size="small" loading={busy && !answer}>
        <ProductsView res={answer?.result.products} currency={project.currency} filters={shown?.filters?.length ?? 0} />
      </Card>
    </Space>
  );
}

// ProductsView draws a products answer: totals, a bar chart of the top 20 by the sort figure
// and the table (compact, on a dashboard card: the chart and the top 10 rows).
export function ProductsView({ res, currency, compact = false, filters = 0 }: { res?: ProductsResult; currency?: string; compact?: boolean; filters?: number }) {
  const { lang } = useI18n();
  const s = useStrings(strings);
  const L = useLabels();
  const money = (v: number) => (currency === 'CNY' ? '¥' : currency ? currency + ' ' : '') + fmtNumber(v, lang, 2);
  const count = (v: number) => fmtNumber(v, lang);
  const sort = res?.sort ?? 'revenue';
  const rows = compact ? (res?.products ?? []).slice(0, 10) : (res?.products ?? []);
  const label = (r: ProductRow) => (r.name ? `${r.name} (${r.id})` : r.id);
  const metric = (r: ProductRow) => (sort === 'orders' ? r.orders : sort === 'units' ? r.units : sort === 'buyers' ? r.buyers : r.revenue);
  const sortLabel = s[sort as ProductSort] ?? sort;
  const fmtMetric = (v: number) => (sort === 'revenue' ? money(v) : count(v));
  if (res && !res.products?.length) return <NoData filters={filters} />;
  return (
    <>
      {res && !compact && (
        <div style={{ marginBottom: 12 }}>
          <div style={{ marginBottom: 4 }}>
            <Typography.Text type="secondary">{s.eventLine}</Typography.Text>
            <span data-testid="products-event">{L.event(res.event)}</span>
          </div>
          <Typography.Text strong>{s.totals}: </Typography.Text>
          <Typography.Text data-testid="products-totals">
            {fill(s.totalsLine, {
              orders: count(res.totals.orders),
              withItems: count(res.totals.with_items),
              products: count(res.totals.products),
              units: count(res.totals.units),
              revenue: money(res.totals.revenue),
              buyers: count(res.totals.buyers),
            })}
          </Typography.Text>
          {res.totals.skipped_items > 0 && <Alert style={{ marginTop: 8 }} type="warning" message={fill(s.skipped, { n: count(res.totals.skipped_items) })} />}
        </div>
      )}
        <Chart
          height={compact ? 220 : Math.max(200, Math.min(rows.length, 20) * 26 + 40)}
          option={{
            tooltip: { trigger: 'axis', confine: true, valueFormatter: fmtMetric },
            grid: { left: 8, right: 90, top: 10, bottom: 8, containLabel: true },
            xAxis: { type: 'value', axisLabel: { formatter: (v: number) => v.toLocaleString(lang, { notation: 'compact' } as Intl.NumberFormatOptions) } },
            yAxis: { type: 'category', inverse: true, data: rows.slice(0, 20).map(label), axisLabel: { width: compact ? 160 : 260, overflow: 'truncate' } },
            series: [
              {
                type: 'bar',
                name: sortLabel,
                data: rows.slice(0, 20).map(metric),
                color: palette[0],
                label: { show: true, position: 'right', formatter: (p: { value: number }) => fmtMetric(p.value) },
              },
            ],
          }}
        />
        <Table
          size="small"
          rowKey="id"
          data-testid="products-table"
          dataSource={rows}
          pagination={compact ? false : { pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: '#', key: 'rank', width: 50, render: (_: unknown, __: ProductRow, i: number) => i + 1 },
            {
              title: s.product,
              key: 'product',
              width: compact ? 220 : 340,
              ellipsis: { showTitle: false },
              render: (_: unknown, r: ProductRow) => (
                <Tooltip title={label(r)} placement="topLeft">
                  <span>{label(r)}</span>
                </Tooltip>
              ),
            },
            {
              title: s.category,
              dataIndex: 'category',
              width: 120,
              ellipsis: { showTitle: false },
              render: (v: string) => (
                <Tooltip title={v}>
                  <span>{v}</span>
                </Tooltip>
              ),
            },
            { title: s.orders, dataIndex: 'orders', align: 'right', render: count },
            { title: s.units, dataIndex: 'units', align: 'right', render: count },
            { title: s.revenue, dataIndex: 'revenue', align: 'right', render: (v: number) => <span style={{ whiteSpace: 'nowrap' }}>{money(v)}</span> },
            { title: s.buyers, dataIndex: 'buyers', align: 'right', render: count },
          ]}
        />
    </>
  );
}
